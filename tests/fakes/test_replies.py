"""Reply building blocks: the seeded draws are ``random.Random``'s, draw for draw."""

from __future__ import annotations

import random
import re

import pytest

from emulator.fakes import replies, tokens
from emulator.fakes.replies import STOPWORDS, Draws


@pytest.mark.parametrize("seed", [0, 1, 7, 2**32, 2**63, 2**64 - 1, 0x9E3779B97F4A7C15])
def test_draws_choose_what_random_chooses(seed: int) -> None:
    reference, draws = random.Random(seed), Draws(seed)
    for n in (1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 100, 1000, 4097):
        options = list(range(n))
        assert [draws.choice(options) for _ in range(40)] == [reference.choice(options) for _ in range(40)]
    with pytest.raises(IndexError):
        draws.choice([])


WORDS = ["the", "and", "Berlin", "BERLIN", "berlin", "a1", "Ab'c", "x-y", "3.14", "42", "5.", ".5", "İstanbul", "Über", "ǅemal",
         "K", "Kelvin", "ﬁne", "é٣٤", "٣.٤", "hello", "you", "ok", "1.2.3", "ab.", "ab.12", "ab.cd", "12.ab", "a1.5", "x..y", "-", "'", ".",
         "possible.123", "it's", "well-", "--ab", "Tuesday?", "(Mitte)", "o'clock", "x_y", "9am"]


def _reference_words(text: str, limit: int) -> list[str]:
    """What content_words always answered: the loop it was written as."""
    seen: list[str] = []
    for word in re.findall(r"[A-Za-z][A-Za-z0-9'-]*|\d+(?:\.\d+)?", text):
        low = word.lower()
        if low in STOPWORDS or len(low) < 3 or low in seen:
            continue
        seen.append(low)
        if len(seen) == limit:
            break
    return seen


def test_content_words_are_what_they_always_were() -> None:
    rnd = random.Random(3)
    for _ in range(3000):
        text = rnd.choice([" ", ", ", ". ", "-", "'", "", ".", "?\t", "\n"]).join(rnd.choice(WORDS) for _ in range(rnd.randrange(40)))
        assert replies._WORD.findall(text) == re.findall(r"[A-Za-z][A-Za-z0-9'-]*|\d+(?:\.\d+)?", text)  # noqa: SLF001
        for limit in (-1, 0, 1, 2, 6, 64, 100):
            assert replies._content_words(text, limit) == _reference_words(text, limit), (text, limit)  # noqa: SLF001


def _reference_answer(last_user: str, rng: random.Random) -> str:
    """What answer always said: three templates drawn by ``choice``, filled with the words."""
    words = replies.content_words(last_user)
    if not words:
        return rng.choice(replies._GREETINGS)  # noqa: SLF001
    fields = {"topic": " ".join(words[:2]), "a": words[0], "b": words[1] if len(words) > 1 else "the context",
              "c": words[2] if len(words) > 2 else "timing"}
    parts = [rng.choice(replies._OPENERS), rng.choice(replies._BODIES), rng.choice(replies._CLOSERS)]  # noqa: SLF001
    return " ".join(p.format(**fields) for p in parts)


def test_a_counted_answer_is_the_answer_and_its_count() -> None:
    rnd = random.Random(11)
    for n in range(3000):
        text = rnd.choice([" ", ", ", ". ", "-", "'", ""]).join(rnd.choice(WORDS) for _ in range(rnd.randrange(6)))
        seed = rnd.getrandbits(64)
        said, used = replies.answer_counted(text, Draws(seed) if n % 2 else random.Random(seed))
        assert said == _reference_answer(text, random.Random(seed)) == replies.answer(text, Draws(seed)), text
        assert used == tokens.count(said), said


def test_three_draws_are_three_choices() -> None:
    for seed in (0, 5, 2**64 - 1):
        reference, draws = random.Random(seed), Draws(seed)
        for sizes in ((5, 5, 4), (1, 2, 3), (3, 17, 1000)):
            assert draws.three(*sizes) == tuple(reference.choice(range(s)) for s in sizes)


def test_ascii_words_are_what_the_pattern_finds() -> None:
    """``_ascii_words`` reads plain runs without the pattern: the same words for any ASCII text."""
    rnd = random.Random(4)
    ascii_words = [w for w in WORDS if w.isascii()]
    for _ in range(5000):
        text = "".join(rnd.choice([*ascii_words, " ", ".", ",", "?", "-", "'", "\t", "7", "x"]) for _ in range(rnd.randrange(12)))
        assert replies._ascii_words(text) == re.findall(r"[A-Za-z][A-Za-z0-9'-]*|\d+(?:\.\d+)?", text.lower()), text  # noqa: SLF001
        assert replies._content_words(text, 64) == _reference_words(text, 64), text  # noqa: SLF001
