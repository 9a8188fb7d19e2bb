"""Settings' documentation: each field's docstring, read from the source (``field_docs``)."""

from __future__ import annotations

from emulator.core.settings import Settings, field_docs


def test_every_setting_has_its_docstring() -> None:
    docs = field_docs()
    assert set(docs) == set(Settings.model_fields)
    assert all(docs.values())


def test_a_docstring_over_several_lines_reads_as_one() -> None:
    assert field_docs()["clock_frozen"] == ("Freeze the emulator clock (at ``clock_start`` or start-up): with a fixed seed, the same "
                                           "requests then give byte-identical responses, timestamps included.")
    assert field_docs()["port"] == "Port to listen on."
