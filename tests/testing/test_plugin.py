"""The pytest plugin as a user meets it: inner suites run through ``pytester`` (in-process)."""

from __future__ import annotations

import re

import pytest

README_TEST = '''
import pytest
import telnyx


def test_a_call_is_answered_then_hangup_fails(telnyx_client, webhooks, emulator):
    call = telnyx_client.calls.dial(connection_id="conn-1", from_="+13125550001", to="+13125550100")
    ccid = call.data.call_control_id
    webhooks.wait_for("call.answered", call_control_id=ccid)
    with emulator.fault(operation_id="HangupCall", status=422, code="90018"):
        with pytest.raises(telnyx.UnprocessableEntityError):
            telnyx_client.calls.actions.hangup(ccid)
    assert emulator.journal_count(operation_id="HangupCall", status=422) == 1
'''


def test_the_readme_example_passes(attached: pytest.Pytester) -> None:
    attached.makepyfile(test_readme=README_TEST)
    result = attached.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    attached.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)  # a rerun on the same emulator: same key, clean slate


def test_events_come_in_order_and_the_journal_holds_bodies(attached: pytest.Pytester) -> None:
    attached.makepyfile(
        '''
        def test_order(telnyx_client, webhooks, emulator):
            ccid = telnyx_client.calls.dial(connection_id="conn-1", from_="+13125550001", to="+13125550100").data.call_control_id
            webhooks.wait_for("call.answered", call_control_id=ccid)
            telnyx_client.calls.actions.hangup(ccid)
            hangup = webhooks.wait_for("call.hangup", call_control_id=ccid)
            assert hangup.payload["hangup_cause"] == "normal_clearing"
            assert webhooks.types(ccid) == ["call.initiated", "call.answered", "call.hangup"]
            assert [w.verified for w in webhooks.events_for(ccid)] == [True, True, True]
            assert emulator.wait_for_webhooks()[-1]["status"] == "delivered"
            dial = emulator.journal(operation_id="DialCall")[0]
            assert '"to":"+13125550100"' in dial["request"]["body"] and dial["request"]["headers"]["authorization"] == "[redacted]"
            assert ccid in dial["response"]["body"]
            emulator.assert_requested(times=1, operation_id="DialCall", body={"/to": "+13125550100"})
        '''
    )
    attached.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


ISOLATION = '''
def test_first(emulator):
    import httpx
    httpx.get(emulator.base_url + "/ai/assistants", headers=emulator.headers).raise_for_status()
    assert len(emulator.journal()) == 1

def test_second(emulator):
    print("KEY", emulator.api_key, "SEEN", len(emulator.journal(api_key=None, path="/ai/assistants", after=0)), "MINE", len(emulator.journal()))
'''


@pytest.mark.parametrize(("isolation", "same_key"), [("key", False), ("reset", True), ("none", True)])
def test_isolation_modes(attached: pytest.Pytester, isolation: str, same_key: bool) -> None:
    attached.makepyfile(test_iso=ISOLATION)
    result = attached.runpytest_inprocess("-p", "no:cacheprovider", "-s", f"--telnyx-emulator-isolation={isolation}")
    result.assert_outcomes(passed=2)
    found = re.search(r"KEY (\S+) SEEN (\d+) MINE (\d+)", result.stdout.str())
    assert found is not None, result.stdout.str()
    key, seen, mine = found.group(1), int(found.group(2)), int(found.group(3))
    assert (key == "test-key") is same_key
    assert (seen == 0) is (isolation == "reset")  # a full reset forgets the first test's request
    assert mine == 0  # each test's journal helpers read only its own requests


def test_a_bad_signature_fails_the_test(attached: pytest.Pytester) -> None:
    attached.makepyfile(
        '''
        import httpx
        import pytest
        from emulator.testing import BadSignature

        def forge(url):
            httpx.post(url, content=b'{"data": {"event_type": "call.hangup", "payload": {}}}',
                       headers={"telnyx-signature-ed25519": "AAAA", "telnyx-timestamp": "1700000000"})

        def test_wait_for_raises(webhooks):
            forge(webhooks.url)
            with pytest.raises(BadSignature):
                webhooks.wait_for("call.hangup", timeout=1)
            webhooks.clear()

        def test_teardown_fails(webhooks):
            forge(webhooks.url)
        '''
    )
    result = attached.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*1 webhook(s) arrived with a bad signature*"])


def test_markers_clock_and_call_scripts(attached: pytest.Pytester) -> None:
    attached.makepyfile(
        '''
        import httpx
        import pytest

        @pytest.mark.telnyx_fault(operation_id="get_assistants_public_assistants_get", status=503)
        def test_marker_fault(emulator):
            for _ in range(2):
                assert httpx.get(emulator.base_url + "/ai/assistants", headers=emulator.headers).status_code == 503
            assert emulator.journal_count(status="5xx") == 2

        def test_fault_is_gone_and_scoped(emulator):
            assert httpx.get(emulator.base_url + "/ai/assistants", headers=emulator.headers).status_code == 200

        def test_clock_and_script(telnyx_client, webhooks, emulator):
            emulator.clock.freeze()
            emulator.script_call("+13125550177", {"action": "answer", "after": 30})
            ccid = telnyx_client.calls.dial(connection_id="conn-1", from_="+13125550001", to="+13125550177").data.call_control_id
            webhooks.wait_for("call.initiated", call_control_id=ccid)
            emulator.wait_for_webhooks(call=ccid)
            assert webhooks.types(ccid) == ["call.initiated"]
            emulator.clock.advance(30)
            webhooks.wait_for("call.answered", call_control_id=ccid)

        def test_an_inbound_call_reaches_the_receiver(webhooks, emulator):
            call = emulator.inbound_call(from_="+13125550123", to="+13125550001", connection_id="conn-1")
            hook = webhooks.wait_for("call.initiated", call_control_id=call["call_control_id"])
            assert hook.payload["direction"] == "incoming" and hook.payload["from"] == "+13125550123"

        def test_clock_runs_again(emulator):
            assert emulator.clock.now()["frozen"] is False

        def test_a_bad_fault_names_its_field(emulator):
            from emulator.testing import ControlError
            with pytest.raises(ControlError, match="stauts"):
                emulator.add_fault(operation_id="DialCall", stauts=500)
        '''
    )
    attached.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=6)


def test_in_process_start_with_settings_and_every_client(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, warm_sdks: None) -> None:
    monkeypatch.delenv("TELNYX_EMULATOR_URL", raising=False)
    pytester.makeconftest(
        '''
        import pytest

        @pytest.fixture(scope="session")
        def telnyx_emulator_settings():
            return {"answer_delay": 5, "clock_frozen": True}
        '''
    )
    pytester.makepyfile(
        '''
        import asyncio

        def test_server(telnyx_emulator, emulator, openai_client):
            assert telnyx_emulator.in_process and telnyx_emulator.app is not None
            assert emulator.clock.now()["frozen"] is True
            assert openai_client.models.list().data

        def test_async_client(async_telnyx_client, emulator):
            async def go():
                async with async_telnyx_client as client:
                    page = await client.ai.assistants.list()
                    return page.data
            assert asyncio.run(go()) == []
        '''
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
