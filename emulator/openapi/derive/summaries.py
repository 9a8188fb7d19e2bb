"""Short operation summaries in our own words, generated from the method and the path.

The published document's summaries are Telnyx's prose; the embedded document carries ours. A
hand table covers call-control actions and operations a path-derived phrase would describe
badly; everything else gets "List assistants" / "Get an assistant" / "Clone a mission" style
phrases from the path's static segments.
"""

from __future__ import annotations

import re

CALL_ACTIONS: dict[str, str] = {
    "ai_assistant_add_messages": "Add messages to the call's AI assistant",
    "ai_assistant_join": "Join an AI assistant conversation",
    "ai_assistant_start": "Start an AI assistant on the call",
    "ai_assistant_stop": "Stop the call's AI assistant",
    "answer": "Answer an incoming call",
    "bridge": "Bridge two calls",
    "client_state_update": "Set the call's client state",
    "conversation_relay_start": "Start a conversation relay",
    "conversation_relay_stop": "Stop the conversation relay",
    "enqueue": "Put the call in a queue",
    "fork_start": "Start forking the call's media",
    "fork_stop": "Stop forking the call's media",
    "gather": "Collect DTMF digits",
    "gather_stop": "Stop a gather",
    "gather_using_ai": "Collect structured data with AI",
    "gather_using_audio": "Play audio and collect DTMF digits",
    "gather_using_speak": "Speak text and collect DTMF digits",
    "hangup": "Hang up the call",
    "leave_queue": "Take the call out of its queue",
    "playback_start": "Play audio on the call",
    "playback_stop": "Stop audio playback",
    "record_pause": "Pause the recording",
    "record_resume": "Resume the recording",
    "record_start": "Start recording the call",
    "record_stop": "Stop recording the call",
    "refer": "Send a SIP REFER",
    "reject": "Reject an incoming call",
    "send_dtmf": "Send DTMF digits",
    "send_sip_info": "Send a SIP INFO message",
    "siprec_start": "Start a SIPREC session",
    "siprec_stop": "Stop the SIPREC session",
    "speak": "Speak text on the call",
    "streaming_start": "Start streaming the call's media",
    "streaming_stop": "Stop streaming the call's media",
    "suppression_start": "Start noise suppression",
    "suppression_stop": "Stop noise suppression",
    "switch_supervisor_role": "Change the supervisor role",
    "transcription_start": "Start live transcription",
    "transcription_stop": "Stop live transcription",
    "transfer": "Transfer the call",
}
# Operations a path-based phrase would describe badly (keyed by METHOD path).
SUMMARY_OVERRIDES: dict[str, str] = {
    "POST /calls": "Dial a call",
    "GET /calls/{call_control_id}": "Get a call's status",
    "POST /texml/ai_calls/{connection_id}": "Start an outbound AI call",
    "GET /text-to-speech/speech": "Synthesize speech over a WebSocket",
    "POST /text-to-speech/speech": "Synthesize speech",
    "GET /text-to-speech/voices": "List voices",
    "POST /ai/chat/completions": "Create a chat completion",
    "POST /ai/openai/chat/completions": "Create a chat completion (OpenAI format)",
    "POST /ai/anthropic/v1/messages": "Create a message (Anthropic format)",
    "POST /ai/openai/responses": "Create a response (OpenAI format)",
    "POST /ai/responses": "Create a response",
    "POST /ai/openai/embeddings": "Create embeddings (OpenAI format)",
    "POST /ai/embeddings": "Embed a storage bucket",
    "GET /ai/embeddings": "List embedding tasks",
    "POST /ai/embeddings/url": "Embed a URL",
    "POST /ai/embeddings/similarity-search": "Search embedded documents",
    "DELETE /ai/embeddings/buckets/{bucket_name}": "Remove a bucket's embeddings",
    "GET /ai/embeddings/buckets/{bucket_name}": "Get a bucket's embedding status",
    "POST /ai/audio/transcriptions": "Transcribe audio",
    "POST /ai/summarize": "Summarize a file",
    "POST /ai/clusters": "Start clustering",
    "GET /ai/clusters/{task_id}/graph": "Get a cluster graph image",
    "GET /ai/conversations/conversation-insights/aggregates": "Aggregate conversation insights",
    "GET /ai/conversations/{conversation_id}/conversations-insights": "Get a conversation's insights",
    "POST /ai/conversations/{conversation_id}/message": "Add a message to a conversation",
    "GET /ai/conversation_histories": "Search conversation histories",
    "POST /ai/assistants/import": "Import assistants",
    "POST /ai/assistants/{assistant_id}": "Update an assistant",
    "POST /ai/assistants/{assistant_id}/versions/{version_id}": "Update an assistant version",
    "POST /ai/assistants/{assistant_id}/chat": "Chat with an assistant",
    "POST /ai/assistants/{assistant_id}/chat/sms": "Chat with an assistant over SMS",
    "POST /ai/assistants/{assistant_id}/instructions/enhance": "Improve an assistant's instructions",
    "GET /ai/assistants/{assistant_id}/texml": "Get an assistant's TeXML",
    "PUT /ai/assistants/{assistant_id}/tools/{tool_id}": "Attach a tool to an assistant",
    "DELETE /ai/assistants/{assistant_id}/tools/{tool_id}": "Detach a tool from an assistant",
    "POST /ai/assistants/{assistant_id}/tools/{tool_id}/test": "Run an assistant tool test",
    "POST /ai/assistants/{assistant_id}/tags": "Tag an assistant",
    "DELETE /ai/assistants/{assistant_id}/tags/{tag}": "Untag an assistant",
    "GET /ai/assistants/tags": "List assistant tags",
    "POST /ai/assistants/tests/test-suites/{suite_name}/runs": "Run a test suite",
    "POST /ai/assistants/tests/{test_id}/runs": "Run an assistant test",
    "POST /ai/conversations/insight-groups/{group_id}/insights/{insight_id}/assign": "Add an insight to a group",
    "DELETE /ai/conversations/insight-groups/{group_id}/insights/{insight_id}/unassign": "Remove an insight from a group",
    "POST /ai/missions/{mission_id}/runs": "Start a mission run",
    "POST /ai/missions/{mission_id}/runs/{run_id}/events": "Record a run event",
    "POST /ai/missions/{mission_id}/runs/{run_id}/plan": "Create a run plan",
    "POST /ai/missions/{mission_id}/runs/{run_id}/plan/steps": "Add plan steps",
    "POST /ai/missions/{mission_id}/runs/{run_id}/telnyx-agents": "Link an agent to a run",
    "DELETE /ai/missions/{mission_id}/runs/{run_id}/telnyx-agents/{telnyx_agent_id}": "Unlink an agent from a run",
    "GET /legacy/reporting/usage_reports/speech_to_text": "Get a speech-to-text usage report",
    "GET /legacy/reporting/batch_detail_records/speech_to_text": "List speech-to-text batch reports",
    "POST /legacy/reporting/batch_detail_records/speech_to_text": "Request a speech-to-text batch report",
    "DELETE /legacy/reporting/batch_detail_records/speech_to_text/{id}": "Delete a speech-to-text batch report",
    "GET /legacy/reporting/batch_detail_records/speech_to_text/{id}": "Get a speech-to-text batch report",
    "GET /ai/embeddings/{task_id}": "Get an embedding task",
    "GET /ai/openai/models": "List models (OpenAI format)",
    "GET /ai/openai/embeddings/models": "List embedding models (OpenAI format)",
    "GET /ai/assistants/tests/test-suites": "List test suites",
    "GET /ai/assistants/tests/test-suites/{suite_name}/runs": "List a test suite's runs",
    "GET /ai/assistants/{assistant_id}/canary-deploys": "Get an assistant's canary deploy",
    "POST /ai/assistants/{assistant_id}/canary-deploys": "Create an assistant's canary deploy",
    "PUT /ai/assistants/{assistant_id}/canary-deploys": "Update an assistant's canary deploy",
    "DELETE /ai/assistants/{assistant_id}/canary-deploys": "Delete an assistant's canary deploy",
    "GET /ai/missions/{mission_id}/runs/{run_id}/plan": "Get a mission run's plan",
    "GET /ai/missions/{mission_id}/runs/{run_id}/telnyx-agents": "List agents linked to a run",
}
_ACTION_VERBS = {"clone", "cancel", "promote", "pause", "resume", "test", "assign", "unassign", "enhance", "import"}
_SKIP_SEGMENTS = {"ai", "v1", "public", "actions", "legacy", "reporting"}
_WORD = {"ai": "AI", "mcp": "MCP", "sms": "SMS", "texml": "TeXML", "stt": "STT", "id": "ID"}


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _words(segment: str) -> str:
    return " ".join(_WORD.get(w, w) for w in re.split(r"[-_]", segment) if w)


def _article(noun: str) -> str:
    # Initialisms are read letter by letter: "an MCP server", "an SMS".
    if noun[:1] in "FHLMNRSX" and noun.split(" ")[0].isupper():
        return "an"
    return "an" if noun[:1].lower() in "aeiou" else "a"


def summarize(method: str, path: str) -> str:
    """A short summary of an operation, in our own words, from its method and path."""
    method = method.upper()
    key = f"{method} {path}"
    if key in SUMMARY_OVERRIDES:
        return SUMMARY_OVERRIDES[key]
    segments = [s for s in path.split("/") if s]
    if len(segments) == 4 and segments[0] == "calls" and segments[2] == "actions" and segments[3] in CALL_ACTIONS:
        return CALL_ACTIONS[segments[3]]
    item = segments[-1].startswith("{")
    statics = [s for s in segments if not s.startswith("{") and s not in _SKIP_SEGMENTS]
    action = None
    if statics and statics[-1] in _ACTION_VERBS and not item:
        action = statics.pop()
    if not statics:
        return f"{method.title()} {path}"
    owners = [_words(_singular(s)) for s in statics[:-1]]
    last = _words(statics[-1])
    if action:
        noun = " ".join([*owners, _words(_singular(statics[-1]))])
        return f"{action.capitalize()} {_article(noun)} {noun}"
    singular = " ".join([*owners, _words(_singular(statics[-1]))])
    plural = " ".join([*owners, last])
    if item:
        verb = {"GET": "Get", "DELETE": "Delete", "PUT": "Update", "PATCH": "Update", "POST": "Update"}.get(method, method.title())
        return f"{verb} {_article(singular)} {singular}"
    if method == "GET":
        return f"List {plural}"
    if method == "POST":
        return f"Create {_article(singular)} {singular}"
    if method == "DELETE":
        return f"Delete {plural}"
    return f"Update {plural}"
