"""The speech family's business rules: what it checks beyond the document's schemas
(``core/rules.py``). ``real_api=True`` marks the rules the published document states in its
prose (the real API's own word); the rest are the emulator's guards."""

from __future__ import annotations

from emulator.core.rules import BusinessRule

# --- text-to-speech ------------------------------------------------------------------------------

TTS_TEXT = BusinessRule(
    name="speech.tts_text_required",
    checks="text-to-speech text is missing or blank",
    substitute="an empty utterance: a quarter second of silence",
)
TTS_TEXT_LENGTH = BusinessRule(
    name="speech.tts_text_length",
    checks="text-to-speech text is longer than 5000 characters",
    substitute="the first 5000 characters are spoken",
)
TTS_VOICE = BusinessRule(
    name="speech.tts_voice_provider",
    checks="voice is blank or does not start with a supported provider (Provider.Voice)",
    substitute="the default voice of provider (telnyx when provider is not given)",
)
TTS_PROVIDER = BusinessRule(
    name="speech.tts_provider_required",
    checks="neither voice nor provider is given",
    substitute="telnyx's default voice",
)
TTS_FORMAT = BusinessRule(
    name="speech.tts_audio_format",
    checks="the provider's response/output format is not mp3, wav, pcm, mulaw, alaw or ogg",
    substitute="mp3 (served as WAV when the audio extra, PyAV, is not installed)",
)
TTS_AUDIO_PARAMS = BusinessRule(
    name="speech.tts_audio_params",
    checks="a provider's sampling rate (8000..48000) or speed (0.5..2.0) is not a number in range",
    substitute="a value out of range is clamped into it; a value that is not a number takes the default",
)
VOICES_API_KEY = BusinessRule(
    name="speech.voices_provider_api_key",
    checks="listing the voices of a provider that needs its own API key (ElevenLabs, Resemble) without api_key",
    substitute="that provider's catalogue voices are listed",
    # The published document: api_key is the "API key for providers that require one to list
    # voices (e.g. ElevenLabs)".
    real_api=True,
)

# --- speech-to-text ------------------------------------------------------------------------------

STT_FILE_OR_URL = BusinessRule(
    name="speech.stt_file_or_url",
    checks="a transcription gives both file and file_url, or neither",
    substitute="both: the file is transcribed; neither: an empty transcript of no audio",
    # The published document: file "Cannot be used together with file_url" (and the other way
    # round); with neither there is no audio to transcribe.
    real_api=True,
)
STT_GRANULARITIES = BusinessRule(
    name="speech.stt_granularities_verbose",
    checks="timestamp_granularities[] without response_format verbose_json",
    substitute="the granularities are ignored",
    # The published document: response_format "must be set verbose_json to use timestamp granularities".
    real_api=True,
)
STT_MODEL_CONFIG = BusinessRule(
    name="speech.stt_model_config_deepgram",
    checks="model_config with a model that is not deepgram/*",
    substitute="model_config is ignored",
    # The published document: model_config is "Only allowed with deepgram/nova-3 model".
    real_api=True,
)
STT_DEEPGRAM_FORMATS = BusinessRule(
    name="speech.stt_deepgram_formats",
    checks="a deepgram/* model given audio that is neither mp3 nor wav",
    substitute="the audio is transcribed anyway",
    # The published document: "deepgram/nova-3 only supports mp3 and wav formats".
    real_api=True,
)
STT_AUDIO = BusinessRule(
    name="speech.stt_audio_decodable",
    checks="the file's bytes are not audio the emulator can read (WAV, MP3, FLAC, Ogg, ...)",
    substitute="a generated transcript picked by the bytes' SHA-256 (as for audio without words)",
)
STT_FILE_URL = BusinessRule(
    name="speech.stt_file_url_offline",
    checks="file_url is not a bucket file URL (the emulator never fetches from the network)",
    substitute="a transcript of generated words about the URL (the same URL, the same words)",
)

# --- summaries and reports -----------------------------------------------------------------------

SUMMARY_READABLE = BusinessRule(
    name="speech.summarize_readable",
    checks="the bucket file to summarise holds no text or audio the emulator can read",
    substitute="its bytes are read as UTF-8 text (unreadable bytes replaced) and summarised",
)
REPORT_DATE_ORDER = BusinessRule(
    name="speech.stt_report_date_order",
    checks="a speech-to-text report's end_date is before its start_date (equal dates are a valid, empty window)",
    substitute="the two dates are swapped",
)

RULES: tuple[BusinessRule, ...] = (
    TTS_TEXT, TTS_TEXT_LENGTH, TTS_VOICE, TTS_PROVIDER, TTS_FORMAT, TTS_AUDIO_PARAMS, VOICES_API_KEY,
    STT_FILE_OR_URL, STT_GRANULARITIES, STT_MODEL_CONFIG, STT_DEEPGRAM_FORMATS, STT_AUDIO, STT_FILE_URL,
    SUMMARY_READABLE, REPORT_DATE_ORDER,
)
