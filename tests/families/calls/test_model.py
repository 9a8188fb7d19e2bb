"""How long a prompt lasts: ~150 words a minute, at least a second, the same however often (and
however long) the prompt is spoken."""

from __future__ import annotations

from emulator.families.calls.model import speech_seconds


def test_speech_seconds_count_words_and_repeat_exactly() -> None:
    prompt = "Your cleaning is booked for Tuesday at 3 pm."
    assert [speech_seconds(prompt) for _ in range(3)] == [3.6, 3.6, 3.6]
    assert speech_seconds(None) == speech_seconds("") == speech_seconds("hi") == 1.0
    long = " ".join(["word"] * 400)  # longer than what is remembered
    assert speech_seconds(long) == speech_seconds(long) == 160.0
    assert speech_seconds("one two three four five six seven") == 2.8
