"""Exact answers for a voice agent's chat body (the one ``bench/bench_http.py`` sends): text,
tool calls, ids, finish reasons and token counts, turn after turn in one emulator.

The engine's per-request work is tuned for exactly this body (a new last turn each time, the
same tools and earlier turns); these pins make sure no such shortcut moves a seeded answer, a
count or an id. Regenerate only on purpose: users' tests pin the same values.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from emulator.app import create_app
from tests.conftest import AUTH, make_settings

# A copy of bench/bench_http.py's voice-agent body, not an import: the pins must not move when
# the benchmark's body does.
MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "You are Ava, the voice receptionist of Bright Smile Dental. Keep answers short; use tools to check and book appointments."},
    {"role": "user", "content": [{"type": "text", "text": "Hi, I'd like to book a cleaning next Tuesday afternoon."}, {"type": "text", "text": "My name is Dana Fox."}]},
    {"role": "assistant", "content": "Sure, Dana. Let me check what we have on Tuesday afternoon."},
]
TOOLS: list[dict[str, Any]] = [
    {"type": "function", "function": {
        "name": "check_availability", "description": "List free slots for a treatment on a day.",
        "parameters": {"type": "object", "properties": {
            "treatment": {"type": "string", "enum": ["cleaning", "checkup", "filling"]},
            "date": {"type": "string", "format": "date"},
            "after": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
            "location": {"type": "string"}},
            "required": ["treatment", "date"], "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": "book_appointment", "description": "Book a slot for a patient.",
        "parameters": {"type": "object", "properties": {
            "patient_name": {"type": "string", "minLength": 1}, "slot_id": {"type": "string"},
            "phone": {"type": "string"}, "notes": {"type": "string", "maxLength": 200}},
            "required": ["patient_name", "slot_id"]}}},
    {"type": "retrieval", "retrieval": {"bucket_ids": ["clinic-faq"]}},
]
BOOKING = {"type": "object", "properties": {
    "intent": {"type": "string", "enum": ["book", "reschedule", "cancel", "question"]},
    "treatment": {"type": "string", "enum": ["cleaning", "checkup", "filling"]},
    "patient": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}},
    "required": ["intent", "treatment", "patient"], "additionalProperties": False}
TOOL_TURNS: list[dict[str, Any]] = [
    {"role": "user", "content": "Please check availability for a cleaning treatment on Tuesday."},
    {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "check_availability", "arguments": "{\"treatment\": \"cleaning\"}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "{\"slots\": [{\"id\": \"s1\", \"at\": \"14:30\"}], \"location\": \"Mitte\"}"},
]

# (what the case shows, {"last": the new user turn | "turns": replacing turns, and body fields})
CASES: list[tuple[str, dict[str, Any]]] = [
    ("a new turn", {"last": "Anything after 2 pm works, in Berlin Mitte if possible (turn 1)."}),
    ("the next turn", {"last": "Anything after 2 pm works, in Berlin Mitte if possible (turn 2)."}),
    ("a number among the content words", {"last": "Anything after 2 pm works, in Berlin Mitte if possible (turn 123)."}),
    ("the first turn again (a repeat)", {"last": "Anything after 2 pm works, in Berlin Mitte if possible (turn 1)."}),
    ("a tool is called", {"last": "Please check availability for a cleaning treatment in Berlin Mitte on 2026-12-08."}),
    ("the other tool", {"last": "Book the appointment slot for patient Dana Fox, phone 555-0100."}),
    ("non-ASCII text", {"last": "Geht auch Dienstag um 15 Uhr in Köln? Ça marche très bien 🙂 — merci!"}),
    ("odd spacing and separators", {"last": "  after\t2pm\x1c works\u00a0fine;  it's   OK-ish\n\n"}),
    ("greeting only", {"last": "Hi!"}),
    ("cut by max_tokens", {"last": "Anything after 2 pm works, in Berlin Mitte if possible (turn 9).", "max_tokens": 7}),
    ("cut at a stop sequence", {"last": "Tell me about whitening costs and insurance.", "stop": ["checking", "Would"]}),
    ("two choices", {"last": "Tell me about whitening costs and insurance.", "n": 2, "temperature": 0.7, "seed": 11}),
    ("tool_choice required", {"last": "Something else entirely.", "tool_choice": "required"}),
    ("a named tool", {"last": "Something else entirely.", "tool_choice": {"type": "function", "function": {"name": "book_appointment"}}}),
    ("after a tool result", {"turns": TOOL_TURNS}),
    ("response_format", {"last": "Book me a checkup, I'm Dana.", "tools": None,
                         "response_format": {"type": "json_schema", "json_schema": {"name": "booking", "schema": BOOKING}}}),
    ("guided_json", {"last": "Book me a checkup, I'm Dana.", "tools": None, "guided_json": BOOKING}),
    ("json_object", {"last": "Book me a checkup, I'm Dana.", "tools": None, "response_format": {"type": "json_object"}}),
    ("no tools", {"last": "Anything after 2 pm works, in Berlin Mitte if possible (turn 4).", "tools": None}),
]


def body_of(spec: dict[str, Any]) -> dict[str, Any]:
    """The bench body with ``spec``'s turns and fields (``None`` drops a field)."""
    fields = {k: v for k, v in spec.items() if k not in ("last", "turns")}
    turns = spec.get("turns") or [{"role": "user", "content": spec["last"]}]
    body: dict[str, Any] = {"model": "meta-llama/Meta-Llama-3.1-8B-Instruct", "messages": copy.deepcopy(MESSAGES) + copy.deepcopy(turns),
                            "tools": TOOLS, "tool_choice": "auto", "max_tokens": 256}
    for name, value in fields.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    if "tools" not in body:
        body.pop("tool_choice", None)
    return body


# (id, [(content, [(call id, name, arguments)], finish_reason)], prompt_tokens, completion_tokens) per case
EXPECTED: list[tuple[str, list[tuple[str | None, list[tuple[str, str, str]], str]], int, int]] = [
 ('chatcmpl-55d7968f796b17b417c8a05ce2067',
  [('Regarding anything works, here is a short answer. The key point is that anything depends on works, so start by checking works first. Happy to '
    'help further.',
    [],
    'stop')],
  356,
  32),
 ('chatcmpl-bb51924c903dcebb10e93485868db',
  [('You asked about anything works. In short, anything and works are closely related, and berlin is usually the deciding factor. Would you like an '
    'example?',
    [],
    'stop')],
  356,
  30),
 ('chatcmpl-592b131c71167d4cebe49125e0540',
  [('Regarding anything works, here is a short answer. In short, anything and works are closely related, and berlin is usually the deciding factor. '
    'Let me know if you want more detail.',
    [],
    'stop')],
  356,
  37),
 ('chatcmpl-935c5bb61a9142e72a83df53c4f01',
  [('Regarding anything works, here is a short answer. The key point is that anything depends on works, so start by checking works first. Happy to '
    'help further.',
    [],
    'stop')],
  356,
  32),
 ('chatcmpl-33a5fccee8a2579165b3779ac8956',
  [(None,
    [('call_44e58bd771349a54ef0ef815',
      'check_availability',
      '{"treatment":"checkup","date":"2025-11-26","after":"17:10","location":"Berlin Mitte"}')],
    'tool_calls')],
  357,
  41),
 ('chatcmpl-f8348e4f10afb9d6cabccd925b9f4',
  [(None,
    [('call_d2c764fccd9a39b7d0d462b2',
      'book_appointment',
      '{"patient_name":"let","slot_id":"0af2b7a6-ae35-4d87-ac66-665bbf59ef29","phone":"+13125550108","notes":"various"}')],
    'tool_calls')],
  354,
  43),
 ('chatcmpl-60ed4a9263bbbd6b878fb0404e8dd',
  [('Good question about geht auch. The key point is that geht depends on auch, so start by checking auch first. I can go deeper on any of these '
    'points.',
    [],
    'stop')],
  357,
  33),
 ('chatcmpl-74b3ca6267a11943d11b8d644e1d4',
  [('Let me help with works fine. The key point is that works depends on fine, so start by checking fine first. I can go deeper on any of these '
    'points.',
    [],
    'stop')],
  352,
  34),
 ('chatcmpl-46a94f749c3c40cd32d2e65c4c5fe', [('Hello! How can I help you today?', [], 'stop')], 342, 9),
 ('chatcmpl-75393ceb4f54d870e19d485a9d650', [('Here is what I can tell you', [], 'length')], 356, 7),
 ('chatcmpl-50ea9302f22120f55d0a5fc8a4423',
  [('Good question about whitening costs. The key point is that whitening depends on costs, so start by ', [], 'stop')],
  348,
  20),
 ('chatcmpl-d01164ebf26756eac210aa61ca34f',
  [('Let me help with whitening costs. The key point is that whitening depends on costs, so start by checking costs first. I can go deeper on any of '
    'these points.',
    [],
    'stop'),
   ('Good question about whitening costs. Most people look at whitening first, then compare it with costs before making a decision. Would you like '
    'an example?',
    [],
    'stop')],
  348,
  63),
 ('chatcmpl-ca5fb04fdfb409d7173158d276c4f',
  [(None,
    [('call_9d099ee79f8589d8ecf15d13', 'check_availability', '{"treatment":"cleaning","date":"2025-03-20","after":"27:00","location":"let"}')],
    'tool_calls')],
  344,
  40),
 ('chatcmpl-33b8ff7d9b363e94f599c8bced96e',
  [(None,
    [('call_ab300cbf7bec32ec13e8e298',
      'book_appointment',
      '{"patient_name":"finish","slot_id":"9cfaeccc-4c26-4a69-85f9-79e8b54f6e5b","phone":"+16465550160","notes":"project"}')],
    'tool_calls')],
  344,
  43),
 ('chatcmpl-0484aea6bb958a56d2084eedacd1e',
  [('According to check_availability, location is Mitte. Would you like an example?', [], 'stop')],
  403,
  14),
 ('chatcmpl-d746344ba2b64f1b34e283fe5cf72', [('{"intent":"cancel","treatment":"cleaning","patient":{"name":"Whole While"}}', [], 'stop')], 87, 32),
 ('chatcmpl-ba67827b04be17720523b29689897', [('{"intent":"cancel","treatment":"cleaning","patient":{"name":"Whole While"}}', [], 'stop')], 87, 32),
 ('chatcmpl-9b4fe102adb14c7c453abe4d4a5cd',
  [('{"answer":"Good question about book checkup. Most people look at book first, then compare it with checkup before making a decision. Happy to '
    'help further.","keywords":["book","checkup","i\'m","dana"]}',
    [],
    'stop')],
  87,
  60),
 ('chatcmpl-4f59c6f489433f30bae5177a2d47e',
  [('Here is what I can tell you about anything works. Most people look at anything first, then compare it with works before making a decision. '
    'Happy to help further.',
    [],
    'stop')],
  93,
  33)]


def test_each_answer_is_what_it_always_was(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        for (name, spec), expected in zip(CASES, EXPECTED, strict=True):
            reply = client.post("/v2/ai/chat/completions", json=body_of(spec), headers=AUTH)
            assert reply.status_code == 200, name
            data = reply.json()
            got = (data["id"], [(c["message"]["content"], [(t["id"], t["function"]["name"], t["function"]["arguments"])
                                                           for t in c["message"].get("tool_calls") or []], c["finish_reason"])
                                for c in data["choices"]], data["usage"]["prompt_tokens"], data["usage"]["completion_tokens"])
            assert got == expected, name
            assert data["usage"]["total_tokens"] == got[2] + got[3]
