"""Lenient mode for the speech family, through the official telnyx SDK: a speech-to-text report
named but never requested is adopted COMPLETE (its CSV downloadable), deleting it is final, lists
show only what exists; summaries and transcriptions of bucket files nobody uploaded read
generated content; broken business rules warn instead of failing."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import httpx
import pytest
import telnyx

from tests.support.ai import Emu, live_emulator

REPORT = "0b6f3c1e-2d4a-4e8b-9c7d-6a5b4c3d2e1f"


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    yield from live_emulator(tmp_path_factory.mktemp("speech-lenient"), lenient=True)


def test_unknown_report_is_adopted_then_deleted_for_good(emu: Emu) -> None:
    reports = emu.sdk("imp-report").legacy.reporting.batch_detail_records.speech_to_text
    assert reports.list().data == []  # lists never invent
    raw = reports.with_raw_response.retrieve(REPORT)
    assert raw.headers["x-emulator-implicit"] == "stt_report"
    report = raw.parse().data
    assert report.id == REPORT and report.status == "COMPLETE" and report.record_type == "speech_to_text_report"
    assert report.start_date <= report.end_date
    assert emu.sdk("imp-report-2").legacy.reporting.batch_detail_records.speech_to_text.retrieve(REPORT).data.start_date == report.start_date
    download = httpx.get(report.download_link)
    assert download.status_code == 200 and list(csv.DictReader(io.StringIO(download.text))) == []
    assert [r.id for r in reports.list().data] == [REPORT]
    assert reports.delete(REPORT).data.id == REPORT
    with pytest.raises(telnyx.NotFoundError):
        reports.retrieve(REPORT)
    with pytest.raises(telnyx.NotFoundError):
        reports.delete(REPORT)
    assert reports.list().data == []


def test_summary_of_a_file_nobody_uploaded(emu: Emu) -> None:
    c = emu.sdk("imp-summary")
    summary = c.ai.summarize(bucket="policies", filename="refunds.txt").data.summary
    assert summary and summary == emu.sdk("imp-summary-2").ai.summarize(bucket="policies", filename="refunds.txt").data.summary
    # The generated file is now in the bucket, as if uploaded.
    listed = emu.http.get("/_emulator/buckets", params={"api_key": "imp-summary"}).json()["data"]
    assert [(f["bucket"], f["filename"]) for f in listed] == [("policies", "refunds.txt")]


def test_transcription_of_urls_the_emulator_cannot_fetch(emu: Emu) -> None:
    c = emu.sdk("imp-stt")
    bucket_file = c.ai.audio.transcribe(model="distil-whisper/distil-large-v2", file_url="https://us-central-1.telnyxcloudstorage.com/calls/greeting.wav")
    assert bucket_file.text.startswith("Greeting Calls")  # the generated file speaks its own name
    raw = c.ai.audio.with_raw_response.transcribe(model="distil-whisper/distil-large-v2", file_url="https://example.com/welcome-message.mp3")
    assert raw.headers["x-emulator-warning"] == "speech.stt_file_url_offline"
    assert raw.parse().text.startswith("Welcome Message")


def test_business_rules_warn_and_substitute(emu: Emu) -> None:
    c = emu.sdk("imp-rules")
    raw = c.ai.audio.with_raw_response.transcribe(model="distil-whisper/distil-large-v2", file=("notes.wav", b"this is not audio at all" * 20))
    assert raw.headers["x-emulator-warning"] == "speech.stt_audio_decodable" and raw.parse().text
    none = c.ai.audio.with_raw_response.transcribe(model="distil-whisper/distil-large-v2")
    assert none.headers["x-emulator-warning"] == "speech.stt_file_or_url" and none.parse().text == ""
    tts = c.text_to_speech.with_raw_response.generate_speech(text="hi", voice="nobody.voice", output_type="base64_output")
    assert tts.headers["x-emulator-warning"] == "speech.tts_voice_provider"
    assert tts.parse().base64_audio
    reversed_window = c.legacy.reporting.batch_detail_records.speech_to_text.with_raw_response.create(
        start_date="2021-01-02T00:00:00Z", end_date="2021-01-01T00:00:00Z")
    assert reversed_window.headers["x-emulator-warning"] == "speech.stt_report_date_order"
    swapped = reversed_window.parse().data
    assert swapped.start_date.isoformat() == "2021-01-02T00:00:00+00:00"  # as sent; the window it covers is swapped


def test_strict_mode_still_refuses(tmp_path_factory: pytest.TempPathFactory) -> None:
    for strict in live_emulator(tmp_path_factory.mktemp("speech-strict")):
        c = strict.sdk("strict")
        with pytest.raises(telnyx.NotFoundError):
            c.legacy.reporting.batch_detail_records.speech_to_text.retrieve(REPORT)
        with pytest.raises(telnyx.NotFoundError):
            c.ai.summarize(bucket="policies", filename="refunds.txt")
        with pytest.raises(telnyx.UnprocessableEntityError):
            c.ai.audio.transcribe(model="distil-whisper/distil-large-v2", file_url="https://us-central-1.telnyxcloudstorage.com/calls/greeting.wav")
