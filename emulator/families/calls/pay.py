"""``POST /calls/{call_control_id}/actions/pay`` (an addition: the SDK's ``calls.actions.pay``).

Pay collects a card (or bank account) from the caller by DTMF and charges or tokenizes it
through a Pay connector. The emulated caller answers every step at once: the command reports a
``call.payment.progress`` event per collection step, then ``call.payment.completed`` with a
successful result (a charge id for ``charge``, a token id for ``tokenize``; with a
``payment_token`` nothing is collected). The card is a fixed test card; its number is masked as
the real service masks it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.families.calls.commands import perform
from emulator.families.calls.events import Env, emit
from emulator.families.calls.model import Call
from emulator.http.binding import operation

if TYPE_CHECKING:
    from emulator.http.context import RequestContext

CARD_STEPS = ("payment-card-number", "expiration-date", "security-code", "postal-code")  # the order they are asked
BANK_STEPS = ("bank-routing-number", "bank-account-number")


def steps(body: dict[str, Any]) -> list[str]:
    if body.get("payment_token"):
        return []
    if body.get("payment_method") == "ach-debit":
        return list(BANK_STEPS)
    wanted = body.get("postal_code", True)
    asks_postal = wanted is True or str(wanted).lower() == "true"
    return [s for s in CARD_STEPS if s != "postal-code" or asks_postal]


def result_payload(env: Env, body: dict[str, Any]) -> dict[str, Any]:
    method = body.get("payment_method") or "credit-card"
    charge = body.get("transaction_type") == "charge" or (body.get("transaction_type") is None and (body.get("amount") or 0) > 0)
    out: dict[str, Any] = {"payment_method": method, "result": "success", "payment_connector": body.get("connector_name") or "default",
                           "payment_confirmation_code": env.ids.digits(8), "payment_error": None, "pay_error_code": None,
                           "connector_error": None, "charge_id": None, "token_id": None}
    if charge:
        out["charge_id"] = f"ch_{env.ids.prefixed('', 24)}"
    else:
        out["token_id"] = body.get("payment_token") or f"tok_{env.ids.prefixed('', 24)}"
    if method == "credit-card" and not body.get("payment_token"):
        out.update({"payment_card_number": "xxxxxxxxxxxx1111", "payment_card_type": "visa", "expiration_date": "1230"})
    elif method == "ach-debit":
        out.update({"bank_account_number": "xxxxxx89", "bank_routing_number": "021000021"})
    return out


@operation("PayCall")
async def pay_call(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        method = body.get("payment_method") or "credit-card"
        for step in steps(body):
            emit(env, call, "call.payment.progress", {"payment_step": step, "payment_status": "completed", "attempt": 1,
                                                      "payment_method": method, "error_type": None})
        emit(env, call, "call.payment.completed", {"from": call.from_, "to": call.to, **result_payload(env, body)})

    return perform(ctx, act)
