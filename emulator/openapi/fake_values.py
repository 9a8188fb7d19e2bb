"""Leaf values for the value generator: strings by ``format`` or field name, numbers in range,
bodies for non-JSON media. (Strings for a ``pattern`` come from :mod:`emulator.openapi.patterns`.)

Every function takes the caller's seeded ``random.Random`` (and a Faker bound to it), so values
are a pure function of (seed, seed key) — the same request always gets the same bytes.
"""

from __future__ import annotations

import base64
import re
import string
import uuid
from datetime import UTC, datetime, timedelta
from random import Random
from typing import TYPE_CHECKING, Any

from emulator.openapi.compose import fresh

# Timestamps fall within 2025 so they look recent yet never depend on the wall clock.
_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
_PHONE_NAMES = re.compile(r"^(to|from|phone|number|msisdn)$|phone_number|_phone$|caller_id")


def fake_uuid(rng: Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def fake_datetime(rng: Random) -> str:
    dt = _EPOCH + timedelta(seconds=rng.randint(0, 364 * 86400), milliseconds=rng.randint(0, 999))
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def fake_phone(rng: Random) -> str:
    """A North American E.164 number in the fictional 555-01xx range."""
    return f"+1{rng.choice(['312', '415', '646', '737'])}55501{rng.randint(0, 99):02d}"

if TYPE_CHECKING:
    from faker import Faker


def by_format(fmt: str, rng: Random, faker: Faker, name: str) -> str | None:
    """A value for a string ``format``; None when the format is not one we know.

    Every format jsonschema-rs asserts is covered, so a value generated for a caller's schema
    passes the format-asserting check it gets before it leaves."""
    if fmt == "uuid":
        return fake_uuid(rng)
    if fmt == "date-time":
        return fake_datetime(rng)
    if fmt == "date":
        return fake_datetime(rng)[:10]
    if fmt == "time":
        return fake_datetime(rng)[11:19] + "Z"
    if fmt in ("email", "idn-email"):
        return f"{faker.user_name()}@example.com"
    if fmt in ("uri", "url", "iri", "uri-reference", "iri-reference"):
        return fake_url(rng, faker, name)
    if fmt == "uri-template":
        return f"https://example.com/{faker.word()}/{{id}}"
    if fmt == "ipv4":
        return faker.ipv4_public()
    if fmt == "ipv6":
        return faker.ipv6()
    if fmt in ("hostname", "idn-hostname"):
        return faker.domain_name()
    if fmt == "byte":
        return base64.b64encode(faker.pystr(min_chars=8, max_chars=16).encode()).decode()
    if fmt == "json-pointer":
        return "/data/" + faker.word()
    if fmt == "relative-json-pointer":
        return "0/" + faker.word()
    if fmt == "duration":
        return f"PT{rng.randint(1, 59)}M"
    if fmt == "regex":
        return "^[a-z]+$"
    if fmt in ("phone", "e164", "phone-number"):
        return fake_phone(rng)
    return None


def fake_url(rng: Random, faker: Faker, name: str) -> str:
    if "webhook" in name:
        return "https://example.com/webhooks"
    return f"https://example.com/{faker.word()}/{rng.randint(1, 9999)}"


def by_name(name: str, rng: Random, faker: Faker) -> str:
    """A plausible string for a field called ``name`` (no format, enum or example to go by)."""
    n = name.lower()
    if _PHONE_NAMES.search(n):
        return fake_phone(rng)
    if "email" in n:
        return f"{faker.user_name()}@example.com"
    if n.endswith("url") or n.endswith("uri") or n.endswith("_link"):
        return fake_url(rng, faker, n)
    if n == "id" or n.endswith("_id"):
        return fake_uuid(rng)
    if n.endswith("_at") or "timestamp" in n:
        return fake_datetime(rng)
    if n in ("first_name", "last_name"):
        return faker.first_name() if n == "first_name" else faker.last_name()
    if n in ("name", "display_name", "title", "friendly_name", "application_name", "connection_name"):
        return f"{faker.word().title()} {faker.word().title()}"
    if n in ("description", "instructions", "summary", "text", "message", "content", "prompt", "greeting"):
        return faker.sentence()
    if n in ("country_code", "country", "iso_country_code"):
        return "US"
    if n == "currency":
        return "USD"
    if n in ("language", "locale"):
        return "en-US"
    return faker.word()


def number(schema: dict[str, Any], rng: Random, integer: bool, name: str) -> int | float:
    lo = schema.get("minimum")
    hi = schema.get("maximum")
    xlo, xhi = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(xlo, (int, float)) and not isinstance(xlo, bool):
        lo = xlo + (1 if integer else 0.01) if lo is None or xlo >= lo else lo
    if isinstance(xhi, (int, float)) and not isinstance(xhi, bool):
        hi = xhi - (1 if integer else 0.01) if hi is None or xhi <= hi else hi
    if lo is None:
        lo = 1 if name.startswith("page") or name.endswith("_count") else 0
        if hi is not None and lo > hi:  # only an upper bound, below our default floor
            lo = hi - 100
    if hi is None:
        hi = lo + 100
    step = schema.get("multipleOf")
    if integer:
        value: int | float = rng.randint(int(-(-lo // 1)), max(int(-(-lo // 1)), int(hi // 1)))
    else:
        value = round(rng.uniform(lo, hi), 2)
        value = min(max(value, lo), hi)
    if step:
        value = (value // step) * step if value // step * step >= lo else (value // step + 1) * step
        value = int(value) if integer else value
    return value


_SILENT_MP3 = bytes.fromhex("fffb9064" + "00" * 413)  # one silent MPEG-1 Layer III frame (128 kbps)
_PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4e40000000049454e44ae426082"
)


def wav(seconds: float = 0.1, rate: int = 8000) -> bytes:
    """A valid mono 16-bit PCM WAV file of silence."""
    data = b"\x00\x00" * int(seconds * rate)
    header = b"RIFF" + (36 + len(data)).to_bytes(4, "little") + b"WAVEfmt "
    header += (16).to_bytes(4, "little") + (1).to_bytes(2, "little") + (1).to_bytes(2, "little")
    header += rate.to_bytes(4, "little") + (rate * 2).to_bytes(4, "little") + (2).to_bytes(2, "little")
    header += (16).to_bytes(2, "little") + b"data" + len(data).to_bytes(4, "little")
    return header + data


def media_body(media_type: str, text: str, rng: Random) -> bytes | str:
    """Something a client can consume for a non-JSON success media type."""
    if media_type.startswith("audio/"):
        return wav() if "wav" in media_type else _SILENT_MP3 * 4
    if media_type == "text/event-stream":
        return b'data: {"synthesized": true}\n\ndata: [DONE]\n\n'
    if "xml" in media_type:
        return '<?xml version="1.0" encoding="UTF-8"?>\n<Response></Response>\n'
    if media_type == "text/csv":
        return f"id,created_at\n{fake_uuid(rng)},{fake_datetime(rng)}\n"
    if media_type.startswith("text/"):
        return text
    if media_type == "image/png":
        return _PNG_1X1
    if media_type == "application/pdf":
        return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return b"\x00" * 16


def fill_distinct(out: list[Any], items: dict[str, Any], lo: int) -> None:
    """Grow a ``uniqueItems`` array whose redraws kept repeating to ``lo`` members: unused enum
    members first, then numbered variants of the last value (never past a closed enum/const)."""
    unused = [e for e in items.get("enum") or [] if e not in out]
    while len(out) < lo and out:
        last = out[-1]
        if unused:
            out.append(fresh(unused.pop(0)))
        elif "enum" in items or "const" in items:
            return  # no distinct member left
        elif isinstance(last, str):
            out.append(f"{last}-{len(out)}")
        elif isinstance(last, (int, float)) and not isinstance(last, bool):
            out.append(last + len(out))
        else:
            return


def fit_length(value: str, schema: dict[str, Any], rng: Random) -> str:
    lo = int(schema.get("minLength") or 0)
    hi = schema.get("maxLength")
    while len(value) < lo:
        value += rng.choice(string.ascii_lowercase)
    if hi is not None and len(value) > int(hi):
        value = value[: int(hi)]
    return value
