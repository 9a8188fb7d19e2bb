"""The tokenizer's count agrees with its pieces for every text (the ASCII count never splits)."""

from __future__ import annotations

import random

import pytest

from emulator.fakes import tokens

ALPHABET = [chr(code) for code in range(128)] + ["é", "🙂", "\u00a0", "\u2028", "٣", "ß"]


@pytest.mark.parametrize("text", ["", " ", "\n", "a", "a ", " a", "a\n", "ab.\n", "  \t\x1c", "a\x1cb", "don't", "3.5 km", "x_y-z",
                                  "Hi!  How are you?\t\n", "\x00\x7f", "Ça marche 🙂 ", "٣ apples", "end\u00a0"])
def test_count_is_the_number_of_pieces(text: str) -> None:
    assert tokens.count(text) == len(tokens.pieces(text))


def test_count_is_the_number_of_pieces_for_many_texts() -> None:
    rng = random.Random(14)
    for _ in range(20000):
        chars = ALPHABET if rng.random() < 0.5 else " \t\n\x1f.,'_-a1"
        text = "".join(rng.choice(chars) for _ in range(rng.randint(0, 14)))
        assert tokens.count(text) == len(tokens.pieces(text)), repr(text)
