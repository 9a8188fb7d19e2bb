"""The emulator's own TTS voice catalogue, and parsing of the ``voice`` shorthand.

``voice_id`` is the full shorthand (``provider.model.voice`` or ``provider.voice``) so a client
can pass a listed id straight back as ``voice`` to ``POST /text-to-speech/speech``. Names are
our own list of realistic voices per provider; gender picks the built-in synthesizer's pitch.
"""

from __future__ import annotations

from dataclasses import dataclass

PROVIDERS = ("aws", "telnyx", "azure", "elevenlabs", "minimax", "rime", "resemble", "xai")
# Providers whose real voice listing needs the caller's own vendor key.
NEEDS_API_KEY = frozenset({"elevenlabs", "resemble"})


@dataclass(frozen=True)
class Voice:
    voice_id: str
    name: str
    provider: str
    language: str
    gender: str
    hosted: bool

    def as_json(self) -> dict[str, object]:
        return {
            "voice_id": self.voice_id, "name": self.name, "provider": self.provider,
            "language": self.language, "gender": self.gender, "hosted": self.hosted,
        }


def _v(voice_id: str, name: str, language: str, gender: str) -> Voice:
    provider = voice_id.split(".", 1)[0].lower()
    return Voice(voice_id, name, provider, language, gender, hosted=provider == "telnyx")


VOICES: tuple[Voice, ...] = (
    _v("Telnyx.NaturalHD.astra", "Astra", "en-US", "female"),
    _v("Telnyx.NaturalHD.orion", "Orion", "en-US", "male"),
    _v("Telnyx.NaturalHD.luna", "Luna", "en-GB", "female"),
    _v("Telnyx.NaturalHD.atlas", "Atlas", "en-GB", "male"),
    _v("Telnyx.Natural.abbie", "Abbie", "en-US", "female"),
    _v("Telnyx.Natural.boyd", "Boyd", "en-US", "male"),
    _v("Telnyx.KokoroTTS.af_heart", "Heart", "en-US", "female"),
    _v("Telnyx.KokoroTTS.am_michael", "Michael", "en-US", "male"),
    _v("Telnyx.Ultra.sofia", "Sofia", "es-ES", "female"),
    _v("AWS.Polly.Joanna", "Joanna", "en-US", "female"),
    _v("AWS.Polly.Matthew", "Matthew", "en-US", "male"),
    _v("AWS.Polly.Amy", "Amy", "en-GB", "female"),
    _v("AWS.Polly.Generative.Lucia", "Lucia", "es-ES", "female"),
    _v("AWS.Polly.Neural.Hans", "Hans", "de-DE", "male"),
    _v("Azure.en-US-AvaMultilingualNeural", "Ava", "en-US", "female"),
    _v("Azure.en-US-AndrewNeural", "Andrew", "en-US", "male"),
    _v("Azure.en-GB-SoniaNeural", "Sonia", "en-GB", "female"),
    _v("Azure.fr-FR-HenriNeural", "Henri", "fr-FR", "male"),
    _v("ElevenLabs.eleven_multilingual_v2.Rachel", "Rachel", "en-US", "female"),
    _v("ElevenLabs.eleven_multilingual_v2.Adam", "Adam", "en-US", "male"),
    _v("Minimax.speech-02-hd.Wise_Woman", "Wise Woman", "en-US", "female"),
    _v("Minimax.speech-02-hd.Deep_Voice_Man", "Deep Voice Man", "en-US", "male"),
    _v("Rime.mistv2.cove", "Cove", "en-US", "male"),
    _v("Rime.mistv2.lagoon", "Lagoon", "en-US", "female"),
    _v("Resemble.default.Lucy", "Lucy", "en-GB", "female"),
    _v("xAI.eve", "Eve", "en-US", "female"),
    _v("xAI.ara", "Ara", "en-US", "female"),
    _v("xAI.rex", "Rex", "en-US", "male"),
    _v("xAI.sal", "Sal", "en-US", "male"),
    _v("xAI.leo", "Leo", "en-US", "male"),
)


def voices_for(provider: str | None) -> list[Voice]:
    return [v for v in VOICES if provider is None or v.provider == provider]


def find(voice_id: str) -> Voice | None:
    wanted = voice_id.casefold()
    return next((v for v in VOICES if v.voice_id.casefold() == wanted), None)


def provider_of(voice: str) -> str | None:
    """The provider a ``voice`` shorthand names (case-insensitive), or None if it names none."""
    head = voice.split(".", 1)[0].casefold()
    return head if head in PROVIDERS else None


def default_voice(provider: str) -> Voice:
    return next(v for v in VOICES if v.provider == provider)
