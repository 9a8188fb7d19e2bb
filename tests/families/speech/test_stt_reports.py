"""Legacy speech-to-text reporting through the telnyx SDK: batch reports PENDING -> COMPLETE
with a CSV the emulator serves, and the usage report reflecting transcriptions actually made."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import httpx
import pytest
import telnyx

from emulator.fakes.audio import babble, encode_wav
from tests.support.ai import Emu, live_emulator


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    yield from live_emulator(tmp_path_factory.mktemp("legacy-stt"))


def _transcribe(c: telnyx.Telnyx, text: str) -> None:
    wav = encode_wav(babble(text, rate=8000))
    c.ai.audio.transcribe(model="distil-whisper/distil-large-v2", file=("a.wav", wav, "audio/wav"))


def test_usage_and_batch_report_reflect_transcriptions(emu: Emu) -> None:
    key = "stt-usage"
    c = emu.sdk(key)
    empty = c.legacy.reporting.usage_reports.retrieve_speech_to_text().data
    assert empty["total_requests"] == 0
    _transcribe(c, "hello there")
    _transcribe(c, "a second and somewhat longer recording for the report")
    usage = c.legacy.reporting.usage_reports.retrieve_speech_to_text().data
    assert usage["total_requests"] == 2 and usage["total_seconds"] > 0
    assert usage["models"][0]["model"] == "distil-whisper/distil-large-v2" and usage["models"][0]["requests"] == 2
    now = emu.http.get("/_emulator/clock").json()["now"]
    report = c.legacy.reporting.batch_detail_records.speech_to_text.create(start_date="2020-01-01T00:00:00Z", end_date="2100-01-01T00:00:00Z").data
    assert report.status == "PENDING" and report.download_link is None and report.record_type == "speech_to_text_report"
    emu.advance(1)
    done = c.legacy.reporting.batch_detail_records.speech_to_text.retrieve(report.id).data
    assert done.status == "COMPLETE" and done.download_link
    rows = list(csv.DictReader(io.StringIO(httpx.get(done.download_link).text)))
    assert len(rows) == 2 and float(rows[0]["duration_seconds"]) > 0
    assert [r.id for r in c.legacy.reporting.batch_detail_records.speech_to_text.list().data] == [report.id]
    # a window before anything happened is empty
    early = c.legacy.reporting.usage_reports.retrieve_speech_to_text(start_date="2020-01-01T00:00:00Z", end_date="2020-02-01T00:00:00Z").data
    assert early["total_requests"] == 0 and now
    deleted = c.legacy.reporting.batch_detail_records.speech_to_text.delete(report.id).data
    assert deleted.id == report.id
    with pytest.raises(telnyx.NotFoundError):
        c.legacy.reporting.batch_detail_records.speech_to_text.retrieve(report.id)
    assert httpx.get(done.download_link).status_code == 404


def test_bad_window_is_rejected(emu: Emu) -> None:
    c = emu.sdk("stt-bad")
    with pytest.raises(telnyx.BadRequestError):
        c.legacy.reporting.batch_detail_records.speech_to_text.create(start_date="2021-01-02T00:00:00Z", end_date="2021-01-01T00:00:00Z")
    assert c.legacy.reporting.batch_detail_records.speech_to_text.list().data == []


def test_equal_start_and_end_dates_are_an_empty_window(emu: Emu) -> None:
    """Issue 11.8: the document states no order between the dates; equal dates are accepted."""
    c = emu.sdk("stt-equal")
    _transcribe(c, "this recording falls outside the window")
    same = "2021-01-01T00:00:00Z"
    report = c.legacy.reporting.batch_detail_records.speech_to_text.create(start_date=same, end_date=same).data
    assert report.status == "PENDING" and report.start_date == report.end_date and report.end_date.isoformat() == "2021-01-01T00:00:00+00:00"
    emu.advance(1)
    done = c.legacy.reporting.batch_detail_records.speech_to_text.retrieve(report.id).data
    assert done.status == "COMPLETE"
    assert list(csv.DictReader(io.StringIO(httpx.get(done.download_link).text))) == []
    usage = c.legacy.reporting.usage_reports.retrieve_speech_to_text(start_date=same, end_date=same).data
    assert usage["total_requests"] == 0
