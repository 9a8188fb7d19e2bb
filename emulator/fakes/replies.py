"""Default replies: deterministic text derived from the conversation.

The fake model has no knowledge, but its answers must still *depend on the input* (so a test
notices when its prompt changed) and read like an assistant. We take the content words of the
last user message, pick templates with a seeded RNG, and fill them in. Tool results are answered
by summarising the tool's output, so a tool-calling loop ends with text that mentions it.
"""

from __future__ import annotations

import _random
import functools
import itertools
import re
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

import orjson

from emulator.fakes import tokens

# A word: a letter and then letters, digits, ' and -; or a number: digits with an optional
# fraction. Written as one class for the first character and a branch on what it was (the
# lookbehind) — the same matches as "[A-Za-z][A-Za-z0-9'-]*|\d+(?:\.\d+)?", which the matcher
# tries branch by branch at every position (an eighth slower on a user turn).
_WORD = re.compile(r"[A-Za-z\d](?:(?<=[A-Za-z])[A-Za-z0-9'-]*+|\d*+(?:\.\d+)?)")

STOPWORDS = frozenset(
    """a about above after again all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just
    let me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own please same she should so some such tell than that the their theirs them themselves
    then there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your yours yourself yourselves hello hi hey
    thanks thank give get want need know like show make okay ok yes""".split()  # noqa: SIM905 - a long word list reads better as prose than as quoted literals
)

_OPENERS = (
    "You asked about {topic}.",
    "Here is what I can tell you about {topic}.",
    "Good question about {topic}.",
    "Let me help with {topic}.",
    "Regarding {topic}, here is a short answer.",
)
_BODIES = (
    "The key point is that {a} depends on {b}, so start by checking {b} first.",
    "In short, {a} and {b} are closely related, and {c} is usually the deciding factor.",
    "Most people look at {a} first, then compare it with {b} before making a decision.",
    "A practical approach is to review {a}, confirm {b}, and keep an eye on {c}.",
    "The simplest answer is that {a} matters most, while {b} adds useful context.",
)
_CLOSERS = (
    "Let me know if you want more detail.",
    "I can go deeper on any of these points.",
    "Would you like an example?",
    "Happy to help further.",
)
_GREETINGS = (
    "Hello! How can I help you today?",
    "Hi there! What can I do for you?",
    "Hello! What would you like to talk about?",
)


T = TypeVar("T")


class Chooser(Protocol):
    """What a reply draws from: a ``random.Random`` or :class:`Draws`."""

    def choice(self, seq: Sequence[T], /) -> T: ...


class Draws(_random.Random):
    """The seeded draws of a reply: ``random.Random(seed).choice`` exactly — the same Mersenne
    Twister seeded by the same C code, and the same draw (``getrandbits`` of the length's bit
    count until below it) — without ``random.Random``'s Python ``__init__``/``seed`` and
    ``_randbelow`` frames (one generator per text reply: those were a tenth of its cost)."""

    def three(self, a: int, b: int, c: int) -> tuple[int, int, int]:
        """The indexes :meth:`choice` draws for sequences of ``a``, ``b`` and ``c`` items, one
        after the other (in one call)."""
        get = self.getrandbits
        k = a.bit_length()
        i = get(k)
        while i >= a:
            i = get(k)
        k = b.bit_length()
        j = get(k)
        while j >= b:
            j = get(k)
        k = c.bit_length()
        m = get(k)
        while m >= c:
            m = get(k)
        return i, j, m

    def choice(self, seq: Sequence[T]) -> T:
        n = len(seq)
        if not n:
            raise IndexError("Cannot choose from an empty sequence")
        k = n.bit_length()
        r = self.getrandbits(k)
        while r >= n:
            r = self.getrandbits(k)
        return seq[r]


_KEPT_WORDS = 64  # the most content words any caller asks for (tool matching)


def content_words(text: str, limit: int = 6) -> list[str]:
    """Distinct non-stopword words of ``text``, in order of first appearance."""
    if 0 < limit <= _KEPT_WORDS:
        # One answer asks for the same user turn's words three times (tool choice, arguments,
        # text), with different limits: each is a prefix of the longest.
        return list(_first_content_words(text)[:limit])
    return _content_words(text, limit)


@functools.lru_cache(maxsize=512)
def _first_content_words(text: str) -> tuple[str, ...]:
    return tuple(_content_words(text, _KEPT_WORDS))


def kept_content_words(text: str) -> tuple[str, ...]:
    """``content_words(text, 64)`` as the kept tuple it is sliced from (not a list of its own)."""
    return _first_content_words(text)


# ASCII to what a word can hold (letters lowered, digits, ' - .), anything else to a space: the
# words of an ASCII text are those of the runs between spaces (a match spans no other character).
_RUNS = bytes([ord(chr(c).lower()) if chr(c).isalnum() or chr(c) in "'-." else 32 for c in range(128)] + [32] * 128)
_WORD_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789'-."
# Never a content word of ASCII text (whose words hold only ``_WORD_CHARS``): the stop words and
# every word of one or two characters — one set look-up a word.
_DROPPED = STOPWORDS | frozenset(_WORD_CHARS) | frozenset(a + b for a in _WORD_CHARS for b in _WORD_CHARS)


def _ascii_words(text: str) -> list[str]:
    """``_WORD.findall(text.lower())`` for ASCII ``text``. A run of letters (or of digits) is a
    word as it is, and so are the letters before a run's one dot and the letters or digits after
    it (a word of letters ends at a dot): the pattern only reads the other runs (a match costs
    about what a Python call does, and most of a turn's runs are plain words)."""
    words: list[str] = []
    for run in text.encode().translate(_RUNS).decode().split():
        if run.isalpha() or run.isdigit():
            words.append(run)
            continue
        head, dot, tail = run.partition(".")
        if dot and head.isalpha() and (not tail or tail.isalpha() or tail.isdigit()):  # "word." / "possible.123"
            words.append(head)
            if tail:
                words.append(tail)
        else:
            words += _WORD.findall(run)
    return words


def _content_words(text: str, limit: int) -> list[str]:
    # The words lowered, the first of each kept (dict order), the short and stop words dropped;
    # at most ``limit`` (all for ``limit`` <= 0).
    if text.isascii():
        kept = list(dict.fromkeys(itertools.filterfalse(_DROPPED.__contains__, _ascii_words(text))))  # dropped, then deduplicated
    else:  # a ``\d`` digit may be any script's (a word's length is not bounded by its bytes)
        kept = [w for w in dict.fromkeys([w.lower() for w in _WORD.findall(text)]) if len(w) >= 3 and w not in STOPWORDS]
    return kept[:limit] if limit > 0 else kept


def proper_nouns(text: str) -> list[str]:
    """Capitalised words that are not sentence starters or stopwords (likely names/places)."""
    out: list[str] = []
    for match in re.finditer(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]+(?:\s[A-Z][a-z]+)?)", text):
        word = match.group(1)
        if word.lower() not in STOPWORDS and word not in out:
            out.append(word)
    return out


def answer(last_user: str, rng: Chooser) -> str:
    """A short assistant answer built from the user's content words."""
    return answer_counted(last_user, rng)[0]


_FIELDS = ("topic", "a", "b", "c")


def _template_counts(templates: tuple[str, ...]) -> tuple[tuple[int, int, int, int, int], ...]:
    """Per template: its token count without its fields, and how often it holds each field."""
    out = []
    for t in templates:
        topic, a, b, c = [t.count("{" + f + "}") for f in _FIELDS]
        out.append((tokens.count(t.format_map(dict.fromkeys(_FIELDS, "x"))) - topic - a - b - c, topic, a, b, c))  # "x": one token
    return tuple(out)


# A filled template's pieces are its own and its fields' (a field starts with a word character
# after a space or the start, and is followed by a space or punctuation), and the sentences are
# joined by single spaces: so a reply's count is its templates' plus their fields'.
_OPENER_COUNTS, _BODY_COUNTS, _CLOSER_COUNTS = _template_counts(_OPENERS), _template_counts(_BODIES), _template_counts(_CLOSERS)


def _word_tokens(word: str) -> int:
    return 1 if word.isalnum() else tokens.count(word)


def answer_counted(last_user: str, rng: Chooser) -> tuple[str, int]:
    """:func:`answer` and its ``tokens.count``, worked out from the templates' counts and the
    fields' (counting the text again was a tenth of a text reply's cost)."""
    words = content_words(last_user)
    if not words:
        greeting = rng.choice(_GREETINGS)
        return greeting, tokens.count(greeting)
    n = len(words)
    fields = {"topic": " ".join(words[:2]), "a": words[0], "b": words[1] if n > 1 else "the context", "c": words[2] if n > 2 else "timing"}
    if type(rng) is Draws:  # the three draws in one call
        i, j, k = rng.three(len(_OPENERS), len(_BODIES), len(_CLOSERS))
    else:
        i, j, k = _OPENERS.index(rng.choice(_OPENERS)), _BODIES.index(rng.choice(_BODIES)), _CLOSERS.index(rng.choice(_CLOSERS))
    template, base, with_topic, with_a, with_b, with_c = _REPLIES[(i * len(_BODIES) + j) * len(_CLOSERS) + k]
    a = _word_tokens(words[0])
    b = _word_tokens(words[1]) if n > 1 else 2  # "the context"
    c = _word_tokens(words[2]) if n > 2 else 1  # "timing"
    topic = a + b if n > 1 else a
    return template.format_map(fields), base + with_topic * topic + with_a * a + with_b * b + with_c * c


def _replies() -> tuple[tuple[str, int, int, int, int, int], ...]:
    """Every (opener, body, closer) as one template (joined by spaces), with its counts summed."""
    out = []
    for o, oc in zip(_OPENERS, _OPENER_COUNTS, strict=True):
        for b, bc in zip(_BODIES, _BODY_COUNTS, strict=True):
            for c, cc in zip(_CLOSERS, _CLOSER_COUNTS, strict=True):
                base, topic, a, b_, c_ = (x + y + z for x, y, z in zip(oc, bc, cc, strict=True))
                out.append((f"{o} {b} {c}", base, topic, a, b_, c_))
    return tuple(out)


_REPLIES = _replies()


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        items = [(k, v) for k, v in value.items() if isinstance(v, (str, int, float, bool)) or v is None][:4]
        if not items:
            return f"it returned {len(value)} fields"
        return ", ".join(f"{str(k).replace('_', ' ')} is {v}" for k, v in items)
    if isinstance(value, list):
        head = _describe(value[0]) if value else "nothing"
        return f"it returned {len(value)} result{'s' if len(value) != 1 else ''}; the first: {head}"
    words = str(value).split()
    return " ".join(words[:20]) + (" ..." if len(words) > 20 else "")


def summarise_tool_results(results: list[tuple[str, str]], rng: Chooser) -> str:
    """Answer for a conversation ending in tool results: ``[(tool name, output text), ...]``."""
    sentences = []
    for name, output in results:
        try:
            parsed: Any = orjson.loads(output)
        except orjson.JSONDecodeError:
            parsed = output
        sentences.append(f"According to {name}, {_describe(parsed)}.")
    return " ".join(sentences) + " " + rng.choice(_CLOSERS)


def json_answer(last_user: str, rng: Chooser) -> dict[str, Any]:
    """The ``json_object`` reply: the text answer plus its keywords, as a JSON object."""
    return {"answer": answer(last_user, rng), "keywords": content_words(last_user, 5)}
