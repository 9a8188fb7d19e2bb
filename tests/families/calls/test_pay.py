"""``actions/pay`` (an addition to the document: the SDK's ``calls.actions.pay``): the command
answers ok and the caller's payment is reported as ``call.payment.progress`` per step, then
``call.payment.completed``, signed, to the call's webhook URL, and parsed by the SDK's own types."""

from __future__ import annotations

from pathlib import Path

from telnyx.types.call_payment_completed_webhook_event import CallPaymentCompletedWebhookEvent
from telnyx.types.call_payment_progress_webhook_event import CallPaymentProgressWebhookEvent

from tests.support.calls import CLIENT_STATE, calls_env


def test_pay_charges_a_card_with_progress_then_completed(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        h.script("+15550004000", "answer")
        ccid = h.dial("+15550004000")
        h.rx.wait(2)
        body = {"amount": 12.5, "currency": "USD", "connector_name": "stripe", "payment_method": "credit-card",
                "client_state": CLIENT_STATE, "prompts": {"payment-card-number": "Enter your card number"}}
        assert h.action(ccid, "pay", body)["data"]["result"] == "ok"
        hits = [x for x in h.rx.settle() if x.payload.get("call_control_id") == ccid]
        h.verify(hits)
        assert h.types(hits)[2:] == ["call.payment.progress"] * 4 + ["call.payment.completed"]
        steps = [CallPaymentProgressWebhookEvent.model_validate(x.json()) for x in hits[2:6]]
        assert [s.data.payload.payment_step for s in steps if s.data and s.data.payload] == [
            "payment-card-number", "expiration-date", "security-code", "postal-code"]
        done = CallPaymentCompletedWebhookEvent.model_validate(hits[-1].json())
        assert done.data is not None and done.data.payload is not None
        payload = done.data.payload
        assert payload.result == "success" and payload.charge_id and payload.token_id is None and payload.payment_error is None
        assert payload.payment_card_number == "xxxxxxxxxxxx1111" and payload.client_state == CLIENT_STATE


def test_pay_with_a_token_tokenizes_without_collecting(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        h.script("+15550004001", "answer")
        ccid = h.dial("+15550004001")
        h.rx.wait(2)
        h.action(ccid, "pay", {"payment_token": "tok_existing", "transaction_type": "tokenize"})
        hits = [x for x in h.rx.settle() if x.payload.get("call_control_id") == ccid]
        assert h.types(hits)[2:] == ["call.payment.completed"]
        assert hits[-1].payload["token_id"] == "tok_existing" and not hits[-1].payload.get("charge_id")
        h.action(ccid, "hangup", {})
        h.rx.settle()
        assert h.action(ccid, "pay", {}, expect=422)["errors"][0]["code"] == "90018"  # the call has ended
