"""calls list|show|inbound|script|hangup|answer|press|say against a live emulator."""

from __future__ import annotations

from tests.ctl.conftest import API_KEY, Live, Run, out_json


def test_inbound_starts_a_parked_call_and_list_shows_it(live: Live, ctl: Run) -> None:
    out = ctl("calls", "inbound", "--from", "+13125550111", "--to", "+13125550001", "--connection-id", "conn-1", "--key", API_KEY).stdout
    assert out.startswith("inbound call v3:") and "(parked, key ctl-key)" in out
    [call] = live.admin("GET", "/calls")["data"]
    assert (call["direction"], call["state"], call["from"]) == ("incoming", "parked", "+13125550111")
    assert live.rx.wait(1)[0].event_type == "call.initiated"
    table = ctl("calls", "list").stdout
    assert call["call_control_id"] in table and "incoming" in table and "parked" in table
    assert out_json(ctl("calls", "list", "--json", "--key", "nobody"))["data"] == []
    assert "no calls" in ctl("calls", "list", "--alive", "--key", "nobody").stdout


def test_show_one_call(live: Live, ctl: Run) -> None:
    call = live.dial()
    shown = ctl("calls", "show", call).stdout
    assert call in shown and "ringing" in shown and "outgoing" in shown
    assert out_json(ctl("calls", "show", call, "--json"))["data"]["call_control_id"] == call
    assert "404 Resource not found: No call with call_control_id 'v3:gone'" in ctl("calls", "show", "v3:gone", code=1).stderr


def test_answer_press_say_and_hangup_act_as_the_other_party(live: Live, ctl: Run) -> None:
    call = live.dial()
    assert f"answered {call} (state: answered)" in ctl("calls", "answer", call).stdout
    assert "(state: answered)" in ctl("calls", "press", call, "42#").stdout
    said = out_json(ctl("calls", "say", call, "hello there", "--json"))
    assert said["data"]["call_control_id"] == call and said["data"]["state"] == "answered"
    assert f"hung up {call} (state: ended)" in ctl("calls", "hangup", call).stdout
    types = [h.event_type for h in live.rx.wait(6)]
    assert types[:2] == ["call.initiated", "call.answered"] and types.count("call.dtmf.received") == 3 and types[-1] == "call.hangup"
    assert live.admin("GET", f"/calls/{call}")["data"]["hangup_source"] == "callee"
    assert "This call is no longer active" in ctl("calls", "hangup", call, code=1).stderr


def test_script_queues_steps_for_the_next_call(live: Live, ctl: Run) -> None:
    out = ctl("calls", "script", "+13125550100", "--step", "busy", "--key", API_KEY).stdout
    assert "scripted the next call to +13125550100: busy" in out
    listed = ctl("calls", "script", "--list").stdout
    assert "+13125550100" in listed and API_KEY in listed
    assert out_json(ctl("calls", "script", "--list", "--json"))["data"][API_KEY]["+13125550100"][0]["outcome"] == "busy"
    call = live.dial("+13125550100", ringing=False)
    live.admin("POST", "/clock", {"advance": 60})
    state = live.admin("GET", f"/calls/{call}")["data"]
    assert state["state"] == "ended" and state["hangup_cause"] == "user_busy"
    ctl("calls", "script", "+13125550199", "--step", "answer")
    assert "scripts cleared" in ctl("calls", "script", "--clear").stdout
    assert live.admin("GET", "/calls/scripts")["data"] == {"shared": {}}


def test_script_adds_steps_to_a_live_call(live: Live, ctl: Run) -> None:
    call = live.dial()
    live.admin("POST", f"/calls/{call}/answer")
    assert f"scripted call {call}: press 9" in ctl("calls", "script", "--call", call, "-s", "press 9").stdout
    live.sdk().calls.actions.gather(call, maximum_digits=1)  # the next listener gets the scripted press
    live.admin("POST", "/clock", {"advance": 30})
    ended = [e for e in live.events(call) if e["event_type"] == "call.gather.ended"]
    assert len(ended) == 1
    assert live.admin("GET", f"/webhooks/deliveries/{ended[0]['id']}")["data"]["data"]["payload"]["digits"] == "9"


def test_script_rejects_what_the_emulator_rejects(ctl: Run) -> None:
    err = ctl("calls", "script", "+13125550100", "--step", "dance", code=1).stderr
    assert "422" in err and "Unknown step action 'dance'" in err and "[/steps/0/action]" in err
    assert "give either TO" in ctl("calls", "script", code=2).stderr
