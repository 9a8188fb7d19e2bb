"""Speaks that replace each other: every prompt ends exactly when its own speech would, each
replaced prompt ends at once, and a call keeps one speak-end timer pending however many speaks
it gets (the scheduler's heap does not grow with them)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tests.support.calls import Calls, calls_env

TEN_WORDS = "one two three four five six seven eight nine ten"  # 4.0 s of speech
THREE_WORDS = "short prompt here"  # 1.2 s


def _pending(h: Calls) -> int:
    return int(h.c.app.state.emulator.state.scheduler.pending())  # type: ignore[attr-defined]


def _at(hit: object) -> float:
    return datetime.fromisoformat(hit.json()["data"]["occurred_at"].replace("Z", "+00:00")).timestamp()  # type: ignore[attr-defined]


def test_replaced_speaks_end_on_time_with_one_timer(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = h.dial()
        h.rx.wait(2)
        before = _pending(h)
        for _ in range(50):
            h.action(ccid, "speak", {"payload": TEN_WORDS, "voice": "female"})
        assert _pending(h) == before + 1  # 50 speaks, one timer
        h.advance(1)
        h.action(ccid, "speak", {"payload": THREE_WORDS, "voice": "female"})  # shorter than what the timer waits for
        h.advance(1.2)  # the short prompt's end: earlier than the pending timer's
        h.advance(3)  # the old timer fires and finds nothing to end
        h.action(ccid, "speak", {"payload": TEN_WORDS, "voice": "female"})
        h.advance(2)
        h.action(ccid, "speak", {"payload": THREE_WORDS, "voice": "female"})
        h.advance(5)
        hits = [x for x in h.rx.settle() if x.payload.get("call_control_id") == ccid][2:]
        h.verify(hits)

    types = h.types(hits)
    assert types == ["call.speak.started", "call.speak.ended"] * 53
    ends = [_at(x) for x in hits if x.event_type == "call.speak.ended"]
    starts = [_at(x) for x in hits if x.event_type == "call.speak.started"]
    t0 = starts[0]
    # 49 replaced at once; the 50th replaced by the short one at +1; that one ends at +2.2
    assert [round(e - t0, 3) for e in ends[:49]] == [0.0] * 49
    assert round(ends[49] - t0, 3) == 1.0 and round(ends[50] - t0, 3) == 2.2
    # a ten-word prompt at +5.2 replaced at +7.2 by a short one, which ends 1.2 s later
    assert round(ends[51] - t0, 3) == 7.2 and round(ends[52] - t0, 3) == 8.4
    assert {x.payload["status"] for x in hits if x.event_type == "call.speak.ended"} == {"completed"}
