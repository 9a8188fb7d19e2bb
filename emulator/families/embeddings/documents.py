"""What the embedding tasks read from a bucket file: its text by file type (plain text, HTML,
simple PDF) and that text cut into overlapping chunks of whole words."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

TEXT_TYPES = {".txt", ".md", ".csv", ".json", ".xml", ".tsv", ".log"}
HTML_TYPES = {".html", ".htm"}
SUPPORTED = TEXT_TYPES | HTML_TYPES | {".pdf"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "a":
            self.links += [v for k, v in attrs if k == "href" and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if tag in ("p", "div", "li", "h1", "h2", "h3", "br", "tr", "title"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(data: bytes) -> tuple[str, list[str]]:
    parser = _Text()
    parser.feed(data.decode("utf-8", errors="replace"))
    return re.sub(r"[ \t]+", " ", "".join(parser.parts)).strip(), parser.links


def extract_text(filename: str, data: bytes) -> str:
    """The document's text, or ValueError with the reason it cannot be embedded."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUPPORTED:
        raise ValueError(f"Unsupported file type '{suffix or '(none)'}'; supported: {', '.join(sorted(SUPPORTED))}")
    if not data.strip():
        raise ValueError("The file is empty")
    if suffix in HTML_TYPES:
        return html_text(data)[0]
    if suffix == ".pdf":
        if not data.startswith(b"%PDF"):
            raise ValueError("The file is not a valid PDF document")
        found = [m.decode("latin-1") for m in re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", data)]
        if not found:
            raise ValueError("No extractable text in the PDF document")
        return " ".join(found)
    return data.decode("utf-8", errors="replace")


def chunk_text(text: str, size: int, overlap: int) -> list[str]:
    """Chunks of whole words, each at most ``size`` characters (a longer word stands alone); each
    chunk after the first repeats up to ``overlap`` characters of the previous one's last words."""
    words = text.split()
    chunks: list[str] = []
    i = 0
    while i < len(words):
        j, length = i, 0
        while j < len(words) and (j == i or length + 1 + len(words[j]) <= size):
            length += len(words[j]) + (1 if j > i else 0)
            j += 1
        chunks.append(" ".join(words[i:j]))
        if j >= len(words):
            break
        k, back = j, 0
        while k - 1 > i and back + len(words[k - 1]) + 1 <= overlap:
            k -= 1
            back += len(words[k]) + 1
        i = k
    return chunks
