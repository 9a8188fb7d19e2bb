"""Deterministic extractive summaries of documents (text, HTML, JSON, CSV, simple PDFs).

The summary is the document's own most representative sentences: each sentence scores the
frequency of its content-word stems across the whole document (normalised by length, so long
sentences do not win by size), the top ones are kept in their original order. A
``system_prompt`` may ask for a number of sentences ("in 2 sentences", "one sentence", "brief")
or for bullet points.
"""

from __future__ import annotations

import contextlib
import csv
import html
import io
import json
import math
import re
import zlib
from collections import Counter

from emulator.fakes.embeddings import normalise


class UnsupportedDocument(ValueError):
    """The file's bytes hold no text we can extract."""


_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\n\s*\n+")
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
MEDIA_EXTENSIONS = frozenset({"flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm"})


def extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def extract_text(data: bytes, filename: str) -> str:
    """Plain text of a document, chosen by its extension (and sniffed for PDF)."""
    ext = extension(filename)
    if data[:5] == b"%PDF-" or ext == "pdf":
        return _pdf_text(data)
    text = data.decode("utf-8", errors="replace")
    if "\x00" in text[:4096] or text.count("\ufffd") > max(8, len(text) // 20):
        raise UnsupportedDocument(f"{filename} is not a text document (supported: PDF, HTML, txt, json, csv, and audio).")
    if ext in ("html", "htm") or re.match(r"\s*<(!doctype|html)", text, re.I):
        text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
        text = re.sub(r"(?i)<(br|/p|/div|/h\d|/li|/tr)\b[^>]*>", "\n\n", text)
        return html.unescape(re.sub(r"<[^>]+>", " ", text))
    if ext == "json":
        try:
            return "\n\n".join(_json_strings(json.loads(text)))
        except json.JSONDecodeError:
            return text
    if ext == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        if len(rows) > 1:
            head = rows[0]
            # Rows may be shorter or longer than the header: pair up the cells both have.
            return "\n\n".join(
                "; ".join(f"{h}: {v}" for h, v in zip(head, row, strict=False) if v) + "." for row in rows[1:] if any(row)
            )
    return text


def _json_strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, dict):
        return [s for v in value.values() for s in _json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v)]
    return []


def _pdf_text(data: bytes) -> str:
    """Text shown by ``Tj``/``TJ`` operators in a PDF's (optionally Flate-compressed) streams."""
    chunks: list[str] = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        stream = match.group(1)
        with contextlib.suppress(zlib.error):  # not Flate-compressed: read the stream as it is
            stream = zlib.decompress(stream)
        for op in re.finditer(rb"\[(.*?)\]\s*TJ|\((.*?)(?<!\\)\)\s*Tj|(T\*|ET)", stream, re.S):
            if op.group(3):
                chunks.append("\n")
                continue
            raw = op.group(1) if op.group(1) is not None else b"(" + op.group(2) + b")"
            for piece in re.findall(rb"\((.*?)(?<!\\)\)", raw, re.S):
                chunks.append(re.sub(rb"\\([()\\])", rb"\1", piece).decode("latin-1"))
    text = re.sub(r"[ \t]+", " ", "".join(chunks)).strip()
    if not text:
        raise UnsupportedDocument("The PDF holds no extractable text (scanned images are not supported).")
    return text


def sentences(text: str) -> list[str]:
    flat = re.sub(r"[ \t\r\f\v]+", " ", text)
    out = [re.sub(r"\s+", " ", s).strip() for s in _SENTENCE.split(flat)]
    return [s for s in out if s and any(ch.isalnum() for ch in s)]


def wanted_sentences(system_prompt: str | None, available: int) -> int:
    """How many sentences to keep: from the prompt when it says, else ~30% (1 to 5)."""
    if system_prompt:
        found = re.search(r"\b(\d+|" + "|".join(_NUMBERS) + r")\s+(?:short\s+|key\s+)?(?:sentence|bullet|point|line)s?\b", system_prompt, re.I)
        if found:
            word = found.group(1).lower()
            return max(1, int(word) if word.isdigit() else _NUMBERS[word])
        if re.search(r"\b(brief|short|concise|tl;?dr|one[- ]line)\b", system_prompt, re.I):
            return 1
    return max(1, min(5, math.ceil(available * 0.3)))


def summarize(text: str, system_prompt: str | None = None) -> str:
    """The top-scoring sentences of ``text``, in document order."""
    found = sentences(text)
    if not found:
        raise UnsupportedDocument("The document holds no sentences to summarise.")
    bags = [normalise(s) for s in found]
    freq = Counter(w for bag in bags for w in bag)
    top = max(freq.values(), default=1)

    def score(i: int) -> float:
        bag = bags[i]
        if not bag:
            return 0.0
        value = sum(freq[w] / top for w in set(bag)) / math.sqrt(len(bag))
        if not found[i].endswith((".", "!", "?", '"', "'")) and len(bag) < 8:
            value *= 0.4  # a heading: dense in keywords but not a sentence worth quoting
        return value * (1.15 if i == 0 else 1.0)  # the lead sentence usually frames the document

    k = min(len(found), wanted_sentences(system_prompt, len(found)))
    chosen = sorted(sorted(range(len(found)), key=lambda i: (-score(i), i))[:k])
    picked = [found[i] for i in chosen]
    if system_prompt and re.search(r"\bbullet", system_prompt, re.I):
        return "\n".join(f"- {s}" for s in picked)
    return " ".join(picked)
