"""The journal's entries and matcher: bounded bodies, redacted secrets, one matcher for list and count."""

from __future__ import annotations

import gc

import orjson

from emulator.core.journal import BODY_LIMIT, REDACTED, Captured, Journal, JournalEntry, JournalMatch


def entry(seq: int, *, method: str = "POST", path: str = "/v2/calls", status: int | None = 200, at: float = 100.0, body: bytes = b"", **kw: object) -> JournalEntry:
    return JournalEntry(
        seq=seq, at=at, method=method, path=path, query="", api_key=str(kw.pop("api_key", "k")), status=status, latency_ms=1.0,
        operation_id=kw.pop("operation_id", None), fault_rule=None, transport_fault=None, request_id=f"r{seq}",  # type: ignore[arg-type]
        request=Captured([(b"authorization", b"Bearer secret-key"), (b"content-type", b"application/json")], body, len(body)),
    )


def test_secrets_are_redacted_and_bodies_read_back() -> None:
    e = entry(1, body=orjson.dumps({"to": "+13125550100"}))
    out = e.as_dict()
    assert out["request"]["headers"] == {"authorization": REDACTED, "content-type": "application/json"}
    assert "secret-key" not in orjson.dumps(out).decode()
    assert out["request"]["body"] == '{"to":"+13125550100"}' and out["request"]["truncated"] is False
    assert "request" not in e.as_dict(bodies=False)


def test_a_body_cut_by_the_bound_says_so_and_is_not_parsed() -> None:
    cut = Captured((), b"{" + b"x" * (BODY_LIMIT - 1), BODY_LIMIT + 500)
    assert cut.truncated and cut.json() is None
    assert cut.as_dict()["size"] == BODY_LIMIT + 500


def test_binary_bodies_come_back_as_base64() -> None:
    out = Captured((), b"\xff\xfe\x00", 3).as_dict()
    assert out["body"] == "//4A" and out["body_encoding"] == "base64"


def test_matcher_fields() -> None:
    j = Journal(10)
    j.record(entry(1, status=201, at=100, body=b'{"to": "+1", "nested": {"a": [1, 2]}}', operation_id="DialCall"))
    j.record(entry(2, method="GET", path="/v2/calls/abc/actions/hangup", status=422, at=200, api_key="other"))
    j.record(entry(3, status=None, at=300))
    assert j.count(JournalMatch()) == 3
    assert j.count(JournalMatch(status="4xx")) == 1 and j.count(JournalMatch(status="201")) == 1
    assert j.count(JournalMatch(status="none")) == 1
    assert j.count(JournalMatch(path="/v2/calls/*/actions/hangup")) == 1 and j.count(JournalMatch(path="actions")) == 1
    assert j.count(JournalMatch(method="get")) == 1 and j.count(JournalMatch(api_key="other")) == 1
    assert j.count(JournalMatch(after=2)) == 1
    assert j.count(JournalMatch(since=200)) == 2 and j.count(JournalMatch(until=200)) == 2
    assert j.count(JournalMatch(body={"/to": "+1", "/nested/a/1": 2})) == 1
    assert j.count(JournalMatch(body={"/to": "+2"})) == 0 and j.count(JournalMatch(body={"/missing": None})) == 0
    assert j.count(JournalMatch(body_contains='"nested"')) == 1
    assert [e.seq for e in j.select(JournalMatch(), limit=2)] == [3, 2]  # newest first
    assert [e.seq for e in j.query(status=422)] == [2]


def test_kept_entries_read_back_equal_and_leave_the_collectors_watch() -> None:
    journal = Journal(3)
    entries = [entry(i, body=b'{"n": %d}' % i) for i in range(1, 5)]
    for e in entries:
        journal.record(e)
    back = journal.select(JournalMatch())
    assert [e.seq for e in back] == [4, 3, 2]  # newest first; the oldest fell out of the bound
    assert back[0].request.json() == {"n": 4} and back[0].request.header("Content-Type") == "application/json"
    assert back[1].as_dict() == entries[2].as_dict()
    for _ in range(4):  # nested tuples (header, headers, side, entry): at worst one level per pass
        gc.collect()
    assert not any(gc.is_tracked(kept) for kept in journal._entries)  # noqa: SLF001 - what the store holds is the point
