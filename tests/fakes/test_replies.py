"""Reply building blocks: the seeded draws are ``random.Random``'s, draw for draw."""

from __future__ import annotations

import random

import pytest

from emulator.fakes.replies import Draws


@pytest.mark.parametrize("seed", [0, 1, 7, 2**32, 2**63, 2**64 - 1, 0x9E3779B97F4A7C15])
def test_draws_choose_what_random_chooses(seed: int) -> None:
    reference, draws = random.Random(seed), Draws(seed)
    for n in (1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 100, 1000, 4097):
        options = list(range(n))
        assert [draws.choice(options) for _ in range(40)] == [reference.choice(options) for _ in range(40)]
    with pytest.raises(IndexError):
        draws.choice([])
