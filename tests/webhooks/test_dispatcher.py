"""The webhook dispatcher against a real local HTTP receiver: bytes, signatures, retries, failover,
timeouts, refused/reset connections, per-call ordering, disorder modes and TeXML form callbacks."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import telnyx
from nacl.signing import VerifyKey

from emulator.app import create_app
from emulator.core.settings import Settings
from emulator.runtime.emulator import Emulator
from emulator.webhooks.dispatcher import WebhookDispatcher
from tests.support.webhooks import Receiver, closed_port_url

FAST = {"webhook_timeout": 0.25, "webhook_attempts": 3, "webhook_backoff": 0.01}


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def make(tmp_path: Path, **overrides: Any) -> tuple[Emulator, WebhookDispatcher]:
    app = create_app(Settings(state_dir=tmp_path, **{**FAST, **overrides}))
    emulator: Emulator = app.state.emulator
    return emulator, emulator.services.webhooks


async def started(d: WebhookDispatcher) -> WebhookDispatcher:
    await d.start()
    return d


def sdk(emulator: Emulator) -> telnyx.Telnyx:
    return telnyx.Telnyx(api_key="k", public_key=emulator.services.webhooks.signing_key.public_key_b64)


def test_bytes_received_equal_logged_bytes_and_signatures_verify(tmp_path: Path, receiver: Receiver) -> None:
    emulator, d = make(tmp_path)
    url = receiver.url()

    async def go() -> Any:
        await d.start()
        ev = d.emit(tenant="k1", event_type="call.initiated", payload={"call_control_id": "v3:abc", "direction": "incoming"},
                    urls=[url], ordering_key="v3:abc")
        await d.drain()
        await d.stop()
        return ev

    ev = run(go())
    [got] = receiver.requests
    [attempt] = ev.attempts
    assert ev.status == "delivered"
    assert got.body == attempt.body
    assert got.headers["telnyx-signature-ed25519"] == attempt.headers["telnyx-signature-ed25519"]
    assert got.headers["telnyx-timestamp"] == attempt.timestamp
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"] == "telnyx-webhooks"
    envelope = got.json()
    assert envelope == {
        "data": {"record_type": "event", "event_type": "call.initiated", "id": ev.id, "occurred_at": ev.occurred_at,
                 "payload": {"call_control_id": "v3:abc", "direction": "incoming"}},
        "meta": {"attempt": 1, "delivered_to": url},
    }
    # The official SDK verifies (Ed25519 over "timestamp|body", 300 s tolerance) and parses it.
    event = sdk(emulator).webhooks.unwrap(got.body.decode(), headers=got.headers)
    assert event.data.event_type == "call.initiated" and event.data.id == ev.id
    # ... and so does PyNaCl directly with the published public key.
    key = VerifyKey(base64.b64decode(emulator.services.webhooks.signing_key.public_key_b64))
    key.verify(got.headers["telnyx-timestamp"].encode() + b"|" + got.body, base64.b64decode(got.headers["telnyx-signature-ed25519"]))
    # A tampered body must not verify.
    with pytest.raises(ValueError, match="Signature verification failed"):
        sdk(emulator).webhooks.unwrap(got.body.decode().replace("incoming", "outgoing"), headers=got.headers)


def test_retries_until_success_each_attempt_signed_with_its_own_bytes(tmp_path: Path, receiver: Receiver) -> None:
    emulator, d = make(tmp_path)
    receiver.script("/hook", ("status", 500), ("status", 503))

    async def go() -> Any:
        await d.start()
        ev = d.emit(tenant="k", event_type="call.answered", payload={}, urls=[receiver.url()])
        await d.drain()
        await d.stop()
        return ev

    ev = run(go())
    assert ev.status == "delivered"
    assert [a.status_code for a in ev.attempts] == [500, 503, 200]
    assert [r.json()["meta"]["attempt"] for r in receiver.requests] == [1, 2, 3]
    assert [r.json()["data"]["id"] for r in receiver.requests] == [ev.id] * 3
    client = sdk(emulator)
    for got, attempt in zip(receiver.requests, ev.attempts, strict=True):
        assert got.body == attempt.body
        client.webhooks.unwrap(got.body.decode(), headers=got.headers)
    assert all(a.latency_ms is not None and a.latency_ms >= 0 for a in ev.attempts)


def test_failover_url_gets_the_event_after_all_attempts_fail(tmp_path: Path, receiver: Receiver) -> None:
    _, d = make(tmp_path)
    receiver.script("/primary", *[("status", 502)] * 3)

    async def go() -> Any:
        await d.start()
        ev = d.emit(tenant="k", event_type="call.hangup", payload={}, urls=[receiver.url("/primary")],
                    failover_url=receiver.url("/failover"))
        await d.drain()
        await d.stop()
        return ev

    ev = run(go())
    assert len(receiver.at("/primary")) == 3
    [fail_over] = receiver.at("/failover")
    assert fail_over.json()["meta"] == {"attempt": 4, "delivered_to": receiver.url("/failover")}
    assert ev.status == "delivered"
    assert ev.summary()["delivered_to"] == [receiver.url("/failover")]
    assert [a.failover for a in ev.attempts] == [False, False, False, True]


def test_everything_failing_ends_failed(tmp_path: Path, receiver: Receiver) -> None:
    _, d = make(tmp_path, webhook_attempts=2)
    receiver.script("/a", ("status", 500), ("status", 500))
    receiver.script("/b", ("status", 404), ("status", 404))

    async def go() -> Any:
        await d.start()
        ev = d.emit(tenant="k", event_type="x", payload={}, urls=[receiver.url("/a")], failover_url=receiver.url("/b"))
        await d.drain()
        await d.stop()
        return ev

    ev = run(go())
    assert ev.status == "failed"
    assert [(a.url, a.status_code) for a in ev.attempts] == [
        (receiver.url("/a"), 500), (receiver.url("/a"), 500), (receiver.url("/b"), 404), (receiver.url("/b"), 404)]


def test_slow_receiver_is_a_timeout(tmp_path: Path, receiver: Receiver) -> None:
    _, d = make(tmp_path, webhook_timeout=0.15)
    receiver.script("/hook", ("sleep", 0.4))

    async def go() -> Any:
        await d.start()
        ev = d.emit(tenant="k", event_type="x", payload={}, urls=[receiver.url()])
        await d.drain()
        await d.stop()
        return ev

    ev = run(go())
    first, second = ev.attempts
    assert first.error == "timeout" and first.status_code is None and first.latency_ms >= 140
    assert second.status_code == 200 and ev.status == "delivered"


def test_connection_refused_and_reset_are_recorded(tmp_path: Path, receiver: Receiver) -> None:
    _, d = make(tmp_path)
    refused = closed_port_url()
    receiver.script("/drop", ("close",))

    async def go() -> tuple[Any, Any]:
        await d.start()
        a = d.emit(tenant="k", event_type="x", payload={}, urls=[refused])
        b = d.emit(tenant="k", event_type="y", payload={}, urls=[receiver.url("/drop")])
        await d.drain()
        await d.stop()
        return a, b

    a, b = run(go())
    assert a.status == "failed"
    assert [x.error for x in a.attempts] == ["connection_refused"] * 3
    assert b.attempts[0].error == "connection_reset"
    assert b.attempts[1].status_code == 200 and b.status == "delivered"


def test_each_url_gets_the_event_and_default_url_applies(tmp_path: Path, receiver: Receiver) -> None:
    _, d = make(tmp_path, webhook_url=receiver.url("/default"))

    async def go() -> tuple[Any, Any]:
        await d.start()
        many = d.emit(tenant="k", event_type="x", payload={}, urls=[receiver.url("/one"), receiver.url("/two")])
        default = d.emit(tenant="k", event_type="y", payload={}, urls=None)
        await d.drain()
        await d.stop()
        return many, default

    many, default = run(go())
    assert receiver.at("/one")[0].json()["meta"]["delivered_to"] == receiver.url("/one")
    assert receiver.at("/two")[0].json()["data"]["id"] == many.id
    assert receiver.at("/default")[0].json()["data"]["id"] == default.id
    assert default.urls == [receiver.url("/default")]


def test_no_url_is_logged_and_replayable(tmp_path: Path, receiver: Receiver) -> None:
    _, d = make(tmp_path)

    async def go() -> Any:
        await d.start()
        ev = d.emit(tenant="k", event_type="call.initiated", payload={"a": 1})
        assert ev.status == "no_url" and d.events(tenant="k") == [ev]
        with pytest.raises(ValueError):
            d.replay(ev.id)
        d.replay(ev.id, url=receiver.url())
        await d.drain()
        await d.stop()
        return ev

    ev = run(go())
    assert ev.status == "delivered"
    assert receiver.requests[0].json()["data"]["payload"] == {"a": 1}


def test_a_replayed_no_url_event_gets_deliveries_of_its_own(tmp_path: Path, receiver: Receiver) -> None:
    """Events without a URL share one empty ``urls``, ``deliveries`` and ``data_fields``: a
    replay gives the replayed event its own list, and the others stay as they were."""
    _, d = make(tmp_path)

    async def go() -> tuple[Any, Any]:
        await d.start()
        first = d.emit(tenant="k", event_type="call.initiated", payload={"a": 1})
        second = d.emit(tenant="k", event_type="call.initiated", payload={"a": 2})
        d.replay(first.id, url=receiver.url())
        d.replay(first.id, url=receiver.url())
        await d.drain()
        await d.stop()
        return first, second

    first, second = run(go())
    assert [dl.round for dl in first.deliveries] == [1, 2] and first.status == "delivered"
    assert list(first.urls) == [receiver.url()]
    assert second.status == "no_url" and not second.deliveries and not second.urls and dict(second.data_fields) == {}
    assert second.detail()["deliveries"] == [] and second.summary()["urls"] == []


def test_ordering_per_key_with_keys_in_parallel(tmp_path: Path, receiver: Receiver) -> None:
    _, d = make(tmp_path, webhook_timeout=1.0)
    # Call A's first event is slow and its third fails once; B and C must not wait for A.
    receiver.script("/A", ("sleep", 0.6), ("ok",), ("status", 500))

    async def go() -> dict[str, list[str]]:
        await d.start()
        emitted: dict[str, list[str]] = {"A": [], "B": [], "C": []}
        for i in range(15):
            for key in ("A", "B", "C"):
                ev = d.emit(tenant="k", event_type=f"e{i}", payload={"i": i}, urls=[receiver.url(f"/{key}")], ordering_key=key)
                emitted[key].append(ev.id)
        await d.drain()
        await d.stop()
        return emitted

    emitted = run(go())
    for key in ("A", "B", "C"):
        ok = [r.json()["data"]["id"] for r in receiver.at(f"/{key}")]
        assert list(dict.fromkeys(ok)) == emitted[key]  # first arrivals in emit order
    assert len(receiver.at("/A")) == 16  # one retry
    # Parallel lanes: all of B arrived before A's second event did.
    assert receiver.at("/B")[-1].at < receiver.at("/A")[1].at


def test_disorder_shuffle_reorders_within_windows_deterministically(tmp_path: Path, receiver: Receiver) -> None:
    def once(sub: str) -> tuple[list[int], list[int]]:
        _, d = make(tmp_path / sub, webhook_disorder="shuffle", seed=7)

        async def go() -> None:
            await d.start()
            for i in range(16):
                d.emit(tenant="k", event_type="e", payload={"i": i}, urls=[receiver.url(f"/{sub}")], ordering_key="call")
            await d.drain()
            await d.stop()

        run(go())
        return [r.json()["data"]["payload"]["i"] for r in receiver.at(f"/{sub}")], []

    first, _ = once("one")
    second, _ = once("two")
    assert sorted(first) == list(range(16))  # each exactly once
    assert first != list(range(16))  # but not in emit order
    assert first == second  # seeded
    for window in range(0, 16, 4):  # only reordered within small windows
        assert sorted(first[window:window + 4]) == list(range(window, window + 4))


def test_disorder_duplicate_sends_events_twice(tmp_path: Path, receiver: Receiver) -> None:
    emulator, d = make(tmp_path, webhook_disorder="duplicate", webhook_disorder_rate=1.0)

    async def go() -> list[Any]:
        await d.start()
        evs = [d.emit(tenant="k", event_type="e", payload={"i": i}, urls=[receiver.url()], ordering_key="c") for i in range(3)]
        await d.drain()
        await d.stop()
        return evs

    evs = run(go())
    ids = [r.json()["data"]["id"] for r in receiver.requests]
    assert ids == [evs[0].id, evs[0].id, evs[1].id, evs[1].id, evs[2].id, evs[2].id]
    for r in receiver.requests:
        sdk(emulator).webhooks.unwrap(r.body.decode(), headers=r.headers)
    assert [a.duplicate for a in evs[0].attempts] == [False, True]


def test_texml_form_callbacks_post_and_get_are_signed(tmp_path: Path, receiver: Receiver) -> None:
    emulator, d = make(tmp_path)
    fields = {"CallSid": "v3:xyz", "CallStatus": "completed", "To": "+15550001111"}

    async def go() -> tuple[Any, Any]:
        await d.start()
        post = d.emit_form(tenant="k", url=receiver.url("/post"), method="POST", fields=fields, ordering_key="v3:xyz")
        get = d.emit_form(tenant="k", url=receiver.url("/get"), method="GET", fields=fields, ordering_key="v3:xyz")
        await d.drain()
        await d.stop()
        return post, get

    post, get = run(go())
    key = VerifyKey(base64.b64decode(emulator.services.webhooks.signing_key.public_key_b64))
    [p] = receiver.at("/post")
    assert p.method == "POST" and p.headers["content-type"] == "application/x-www-form-urlencoded"
    assert p.form() == fields and p.body == post.attempts[0].body
    key.verify(p.headers["telnyx-timestamp"].encode() + b"|" + p.body, base64.b64decode(p.headers["telnyx-signature-ed25519"]))
    [g] = receiver.at("/get")
    assert g.method == "GET" and g.body == b"" and g.form() == fields
    key.verify(g.headers["telnyx-timestamp"].encode() + b"|" + g.query.encode(), base64.b64decode(g.headers["telnyx-signature-ed25519"]))
    assert post.record_type == "texml" and post.event_type == "texml.callback" and post.status == "delivered"
    assert d.events(ordering_key="v3:xyz") == [post, get]


def test_timestamp_is_wall_time_by_default_or_the_emulator_clock(tmp_path: Path, receiver: Receiver) -> None:
    emulator, d = make(tmp_path, webhook_timestamp="emulator")
    emulator_wall, d_wall = make(tmp_path / "wall")  # the default: wall time

    async def go() -> None:
        for dispatcher, em in ((d, emulator), (d_wall, emulator_wall)):
            await dispatcher.start()
            em.state.clock.advance(3600)  # an hour ahead: beyond the SDK's 300 s tolerance
            dispatcher.emit(tenant="k", event_type="e", payload={}, urls=[receiver.url("/" + str(id(dispatcher)))])
            await dispatcher.drain()
            await dispatcher.stop()

    run(go())
    [shifted] = receiver.at("/" + str(id(d)))
    assert int(shifted.headers["telnyx-timestamp"]) == pytest.approx(emulator.state.clock.now(), abs=2)
    with pytest.raises(ValueError, match="too old or too new"):
        sdk(emulator).webhooks.unwrap(shifted.body.decode(), headers=shifted.headers)
    [wall] = receiver.at("/" + str(id(d_wall)))
    sdk(emulator_wall).webhooks.unwrap(wall.body.decode(), headers=wall.headers)


def test_emit_before_the_loop_runs_is_delivered_on_start(tmp_path: Path, receiver: Receiver) -> None:
    _, d = make(tmp_path)
    ev = d.emit(tenant="k", event_type="e", payload={}, urls=[receiver.url()])  # no running loop
    assert ev.status == "pending"

    async def go() -> None:
        await d.start()
        await d.drain()
        await d.stop()

    run(go())
    assert ev.status == "delivered" and len(receiver.requests) == 1


def test_tenant_reset_drops_its_log_and_ids_are_seeded(tmp_path: Path) -> None:
    emulator, d = make(tmp_path, seed=3)
    _, other = make(tmp_path / "b", seed=3)
    a1 = d.emit(tenant="k1", event_type="e", payload={})
    d.emit(tenant="k2", event_type="e", payload={})
    assert other.emit(tenant="k1", event_type="e", payload={}).id == a1.id  # same seed, same ids
    emulator.state.reset("k1")
    assert d.events(tenant="k1") == [] and len(d.events(tenant="k2")) == 1
    emulator.state.reset()
    assert d.events() == []


def test_drain_times_out_while_a_receiver_hangs(tmp_path: Path, receiver: Receiver) -> None:
    _, d = make(tmp_path, webhook_timeout=0.4, webhook_attempts=1)
    receiver.script("/hook", ("sleep", 0.5))

    async def go() -> None:
        await d.start()
        d.emit(tenant="k", event_type="e", payload={}, urls=[receiver.url()])
        with pytest.raises(TimeoutError):
            await d.drain(timeout=0.05)
        await d.drain()
        await d.stop()

    run(go())


async def raw_server(responses: list[bytes], *, close_after: bool) -> tuple[asyncio.Server, list[bytes]]:
    """A bare TCP server answering each request with the next canned response (then maybe closing),
    to exercise the HTTP client against replies http.server never produces; ``heads`` collects the
    request heads exactly as they arrived."""
    heads: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = [int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
                await reader.readexactly(length[0] if length else 0)
                heads.append(head)
                writer.write(responses[min(len(heads), len(responses)) - 1])
                await writer.drain()
                if close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0), heads


def test_transport_survives_servers_closing_idle_connections(tmp_path: Path) -> None:
    _, d = make(tmp_path)

    async def go() -> tuple[list[Any], list[bytes]]:
        # Keep-alive is advertised, but the server closes right after each response: the next
        # delivery finds a dead pooled connection and must transparently reconnect.
        server, heads = await raw_server([b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"], close_after=True)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
        await d.start()
        evs = []
        for i in range(4):
            evs.append(d.emit(tenant="k", event_type="e", payload={"i": i}, urls=[url], ordering_key="c"))
            await d.drain()
            await asyncio.sleep(0.01)
        await d.stop()
        server.close()
        return evs, heads

    evs, heads = run(go())
    assert [len(e.attempts) for e in evs] == [1, 1, 1, 1] and all(e.status == "delivered" for e in evs)
    assert len(heads) == 4


def test_transport_reads_chunked_and_close_delimited_replies(tmp_path: Path) -> None:
    _, d = make(tmp_path)

    async def go() -> list[Any]:
        chunked, _ = await raw_server(
            [b"HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=1\r\nde\r\n0\r\n\r\n"], close_after=False)
        legacy, _ = await raw_server([b"HTTP/1.0 202 Accepted\r\n\r\nuntil-close"], close_after=True)
        garbage, _ = await raw_server([b"SSH-2.0-OpenSSH\r\n\r\n"], close_after=True)
        await d.start()
        evs = [d.emit(tenant="k", event_type="e", payload={}, urls=[f"http://127.0.0.1:{s.sockets[0].getsockname()[1]}/h"])
               for s in (chunked, legacy, chunked)]
        bad = d.emit(tenant="k", event_type="e", payload={}, urls=[f"http://127.0.0.1:{garbage.sockets[0].getsockname()[1]}/h"])
        await d.drain()
        await d.stop()
        for s in (chunked, legacy, garbage):
            s.close()
        return [*evs, bad]

    a, b, c, bad = run(go())
    # a and c race for the chunked server's one scripted reply per connection; judge each by
    # the attempt that got through.
    got_a = next(x for x in a.attempts if x.ok)
    got_b = next(x for x in b.attempts if x.ok)
    assert (got_a.status_code, got_a.response_body) == (201, "abcde")
    assert (got_b.status_code, got_b.response_body) == (202, "until-close")
    assert c.status == "delivered"
    assert bad.status == "failed" and all(x.error == "connection_reset" for x in bad.attempts)


def test_the_wire_carries_exactly_the_logged_headers_and_the_url_as_given(tmp_path: Path) -> None:
    emulator, d = make(tmp_path)

    async def go() -> tuple[Any, Any, list[bytes]]:
        server, heads = await raw_server([b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"], close_after=False)
        base = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        await d.start()
        # Existing escapes stay as they are, characters illegal on the wire get encoded, the
        # fragment is not sent, credentials become an Authorization header.
        post = d.emit(tenant="k", event_type="e", payload={"a": 1}, urls=[base.replace("//", "//u%40x:p%3Aw@") + "/h ook/ü?a=%3A&b=c d#frag"])
        await d.drain()
        get = d.emit_form(tenant="k", url=base + "/g?x=%3A", method="GET", fields={"To": "+1 555"})
        await d.drain()
        await d.stop()
        server.close()
        return post, get, heads

    post, get, heads = run(go())

    def split(head: bytes) -> tuple[str, list[tuple[str, str]]]:
        line, *fields = head.decode("latin-1").split("\r\n")
        return line, [tuple(f.split(": ", 1)) for f in fields if f]  # type: ignore[misc]

    (post_line, post_headers), (get_line, get_headers) = split(heads[0]), split(heads[1])
    assert post_line == "POST /h%20ook/%C3%BC?a=%3A&b=c%20d HTTP/1.1"
    assert post_headers == list(post.attempts[0].headers.items())  # every header, in order, nothing added
    assert dict(post_headers)["authorization"] == "Basic " + base64.b64encode(b"u@x:p:w").decode()
    assert get_line == "GET /g?x=%3A&To=%2B1+555 HTTP/1.1" and get.attempts[0].url.endswith(get_line[4:-9])
    assert get_headers == list(get.attempts[0].headers.items())
    wire = dict(get_headers)
    key = VerifyKey(base64.b64decode(emulator.services.webhooks.signing_key.public_key_b64))
    key.verify(f"{wire['telnyx-timestamp']}|x=%3A&To=%2B1+555".encode(), base64.b64decode(wire["telnyx-signature-ed25519"]))


def test_urls_with_credentials_are_sent_with_basic_auth(tmp_path: Path, receiver: Receiver) -> None:
    emulator, d = make(tmp_path)
    url = receiver.url().replace("http://", "http://user:secret@")

    async def go() -> Any:
        await d.start()
        ev = d.emit(tenant="k", event_type="e", payload={"a": 1}, urls=[url])
        await d.drain()
        await d.stop()
        return ev

    ev = run(go())
    [got] = receiver.requests
    assert got.headers["authorization"] == "Basic " + base64.b64encode(b"user:secret").decode()
    assert ev.attempts[0].headers["authorization"] == got.headers["authorization"]  # logged as sent
    assert got.body == ev.attempts[0].body and ev.status == "delivered"
    sdk(emulator).webhooks.unwrap(got.body.decode(), headers=got.headers)


def test_unusable_urls_fail_cleanly(tmp_path: Path) -> None:
    _, d = make(tmp_path, webhook_attempts=1)

    async def go() -> list[Any]:
        await d.start()
        urls = ("ftp://example/x", "http://", "not a url", "http://127.0.0.1:99999/x", "http://h:port/x")
        evs = [d.emit(tenant="k", event_type="e", payload={}, urls=[u]) for u in urls]
        await d.drain()
        await d.stop()
        return evs

    for ev in run(go()):
        assert ev.status == "failed"
        assert ev.attempts[0].error is not None and ev.attempts[0].error.startswith("invalid_url")


def test_payload_is_frozen_at_emit(tmp_path: Path, receiver: Receiver) -> None:
    _, d = make(tmp_path)
    payload: dict[str, Any] = {"state": "answered", "nested": {"n": 1}}

    async def go() -> Any:
        await d.start()
        ev = d.emit(tenant="k", event_type="call.answered", payload=payload, urls=[receiver.url()])
        payload["state"] = "hangup"  # the caller reuses its dict before the delivery runs
        payload["nested"]["n"] = 2
        with pytest.raises(TypeError):  # unencodable payloads fail in emit, not in the background
            d.emit(tenant="k", event_type="e", payload={"bad": {1, 2}}, urls=[receiver.url()])
        await d.drain()
        await d.stop()
        return ev

    ev = run(go())
    [got] = receiver.requests
    assert got.json()["data"]["payload"] == {"state": "answered", "nested": {"n": 1}}
    assert len(d.events()) == 1 and ev.detail()["data"]["payload"]["state"] == "answered"


def test_event_ids_are_seeded_and_a_restarted_persisted_emulator_never_repeats_them(tmp_path: Path) -> None:
    def first_ids(d: WebhookDispatcher) -> list[str]:
        return [d.emit(tenant="k1", event_type="call.hangup", payload={}).id for _ in range(3)]

    plain = first_ids(make(tmp_path)[1])
    assert first_ids(make(tmp_path)[1]) == plain  # same seed, same events: same ids
    _, restarted = make(tmp_path)
    restarted.resume_ids(2)  # what persistence does at the second start of a state file
    again = first_ids(restarted)
    assert not set(again) & set(plain)
    before = restarted.snapshot_revision
    restarted.emit(tenant="k2", event_type="call.hangup", payload={})
    assert restarted.snapshot_revision != before  # persistence saves the outbox only when this moves


def test_targets_each_url_once_in_order_else_the_tenant_default_else_the_global_one(tmp_path: Path) -> None:
    _, d = make(tmp_path, webhook_url="http://global.example/hook")
    d.default_urls["t"] = "http://tenant.example/hook"
    a, b = "http://a.example/", "http://b.example/"

    def urls(dispatcher: WebhookDispatcher, given: list[str] | None, tenant: str = "t") -> list[str]:
        return list(dispatcher.emit(tenant=tenant, event_type="x", payload={}, urls=given).urls)  # (none: an empty tuple)

    assert urls(d, [b, "", a, b, a]) == [b, a]
    assert urls(d, ["", ""]) == ["http://tenant.example/hook"]
    assert urls(d, None, "other") == urls(d, [], "other") == ["http://global.example/hook"]
    _, bare = make(tmp_path / "bare")
    assert urls(bare, None) == urls(bare, [""]) == []


def test_data_carries_the_envelope_then_the_declared_fields_then_the_payload(tmp_path: Path) -> None:
    _, d = make(tmp_path)
    plain = d.emit(tenant="k", event_type="x", payload={"a": 1}, occurred_at="2026-01-01T00:00:00.000Z")
    extra = d.emit(tenant="k", event_type="y", payload={"a": 1}, data_fields={"created_at": "2026-01-01T00:00:00.000Z"})
    assert list(plain.data()) == ["record_type", "event_type", "id", "occurred_at", "payload"]
    assert list(extra.data()) == ["record_type", "event_type", "id", "occurred_at", "created_at", "payload"]
    assert plain.frozen.startswith(b'{"record_type":"event","event_type":"x","id":"') and plain.data_fields == {}


def test_an_events_frozen_data_is_its_envelope_data_with_or_without_declared_fields(tmp_path: Path) -> None:
    _, dispatcher = make(tmp_path)
    plain = dispatcher.emit(tenant="key", event_type="call.speak.started", payload={"call_control_id": "v3:x", "client_state": ""})
    declared = dispatcher.emit(
        tenant="key", event_type="call.conversation.ended", payload={"a": 1}, occurred_at="2026-01-01T00:00:00.000Z",
        data_fields={"created_at": "2026-01-01T00:00:00.000Z"},
    )
    for event in (plain, declared):
        assert event.frozen == orjson.dumps(event.data())
    assert list(orjson.loads(declared.frozen)) == ["record_type", "event_type", "id", "occurred_at", "created_at", "payload"]


def test_a_fixed_payload_of_plain_values_is_serialised_when_first_needed_to_the_same_bytes(tmp_path: Path) -> None:
    _, d = make(tmp_path)
    payload: dict[str, Any] = {"a": "v3:x", "b": None, "c": True}
    lazy = d.emit(tenant="k", event_type="call.speak.started", payload=payload, fixed_payload=True)
    payload["a"] = "v3:y"  # (what a fixed_payload caller never does: it shows the data is not serialised yet)
    assert lazy.detail()["data"] == lazy.data() and lazy.frozen == orjson.dumps(lazy.data()) and b'"v3:y"' in lazy.frozen
    # Anything else is serialised at emit, as without fixed_payload: a number (it may be too
    # wide for orjson), a container (it may be shared), a non-ASCII string, declared data fields.
    for given, fields in (({"n": 1}, None), ({"l": ["x"]}, None), ({"s": "é"}, None), ({"s": "x"}, {"created_at": "t"})):
        eager = d.emit(tenant="k", event_type="x", payload=given, data_fields=fields, fixed_payload=True)
        before = orjson.dumps(eager.data())
        given["later"] = "changed"
        assert eager.frozen == before
    with pytest.raises(TypeError):  # unencodable: still fails in emit
        d.emit(tenant="k", event_type="x", payload={"s": "\ud800"}, fixed_payload=True)
