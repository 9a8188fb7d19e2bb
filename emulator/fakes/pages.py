"""Deterministic documents for what the emulator cannot fetch: a web page for a URL it has no
fixture of, the text of a bucket file nobody uploaded (lenient mode).

A page is a title and a few paragraphs of English words (Faker's lorem word list) drawn by a
generator seeded with the URL or key, so the same URL always gives the same bytes in every
process. Its *topic words* come from the URL itself (path segments, then host labels), and every
paragraph repeats them, so a similarity search that asks about those words finds the page —
which is what a RAG test over ``https://docs.example.com/porting/timelines`` expects to work.
"""

from __future__ import annotations

import hashlib
import html
import random
import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote, urlsplit

_TOPIC = re.compile(r"[a-z][a-z0-9]{2,}")
_SUFFIX = re.compile(r"\.[a-z0-9]{1,5}$")
# Host labels and path words that say nothing about what a page is about.
_NOISE = frozenset({"www", "com", "org", "net", "io", "dev", "html", "htm", "php", "aspx", "index", "docs", "api", "test", "example"})
PARAGRAPHS = 4


@cache
def lorem_words() -> tuple[str, ...]:
    """Faker's English lorem vocabulary, loaded on first use: importing faker costs ~0.1 s of
    start-up, and only a fetched page needs it."""
    from faker.providers.lorem.en_US import Provider  # noqa: PLC0415 - see the docstring

    return tuple(Provider.word_list)


@dataclass(frozen=True)
class Page:
    url: str
    title: str
    topics: tuple[str, ...]
    paragraphs: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n\n".join((self.title, *self.paragraphs))

    def html(self) -> bytes:
        body = "".join(f"<p>{html.escape(p)}</p>" for p in self.paragraphs)
        title = html.escape(self.title)
        return f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>".encode()


def topic_words(url: str) -> tuple[str, ...]:
    """Words naming what ``url`` is about: its path's words first, then its host's labels."""
    parts = urlsplit(url if "//" in url else f"//{url}")
    path = _SUFFIX.sub("", unquote(parts.path).lower())  # a file's type says nothing of its topic
    path_words = _TOPIC.findall(path.replace("_", " ").replace("-", " "))
    host_words = _TOPIC.findall((parts.hostname or "").lower())
    seen: dict[str, None] = {}
    for word in (*path_words, *host_words):
        if word not in _NOISE:
            seen.setdefault(word, None)
    return tuple(seen) or ("overview",)


def _sentence(rng: random.Random, topics: tuple[str, ...]) -> str:
    vocabulary = lorem_words()
    words = [rng.choice(vocabulary) for _ in range(rng.randint(7, 13))]
    words.insert(rng.randrange(1, len(words)), rng.choice(topics))  # each sentence names a topic
    return " ".join(words).capitalize() + "."


def page(url: str, *, paragraphs: int = PARAGRAPHS) -> Page:
    """The page the emulator serves for ``url``: the same URL, the same page."""
    seed = int.from_bytes(hashlib.sha256(f"page|{url}".encode()).digest()[:8], "big")
    rng = random.Random(seed)
    topics = topic_words(url)
    title = " ".join(w.capitalize() for w in topics[:4])
    body = tuple(" ".join(_sentence(rng, topics) for _ in range(rng.randint(3, 5))) for _ in range(paragraphs))
    return Page(url, title, topics, body)
