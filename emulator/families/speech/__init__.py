"""Speech: text-to-speech whose audio transcribes back, speech-to-text scriptable by the audio's
SHA-256, summaries of bucket files, and the legacy speech-to-text batch and usage reports."""

from emulator.fakes.stt import SynthesizedAudio, TranscriptionLog, TranscriptScripts
from emulator.families.speech import control, handlers, reports, rules, stt_reports, summarize
from emulator.families.speech.store import SttReports
from emulator.runtime.family import Family

FAMILY = Family(
    name="speech",
    handler_modules=(handlers, summarize, stt_reports),
    control=control.CONTROL + reports.CONTROL,
    lifecycle_kinds=("stt_report",),
    stores=(SttReports, TranscriptionLog, TranscriptScripts, SynthesizedAudio),
    id_kinds=stt_reports.ID_KINDS,
    business_rules=rules.RULES,
    paths=(
        "/ai/audio",
        "/ai/summarize",
        "/text-to-speech",
        "/legacy/reporting/batch_detail_records/speech_to_text",
        "/legacy/reporting/usage_reports/speech_to_text",
    ),
)
