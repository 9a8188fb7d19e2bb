"""The error-code table covers every code the emulator can raise, and the named call-control
errors render exactly the envelope their old ``Unprocessable(..., code="…")`` spellings did."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import emulator
from emulator.core.errors import CODE_BY_KIND, CODES, ApiError, ErrorItem, ErrorStyle, NotFound, RateLimited, Unprocessable, ValidationFailed, error_body
from emulator.fakes.llm import _DEFAULT_CODES as LLM_DEFAULT_CODES
from emulator.families.calls import errors as call_errors
from emulator.faults.ratelimit import DialRateLimited
from emulator.faults.rules import DEFAULT_ERRORS

PACKAGE = Path(emulator.__file__).parent


# -- every code the code can raise is in CODES ---------------------------------------------------


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _class_codes(cls: ast.ClassDef) -> list[str]:
    """String values a class body gives ``code``: ``code = "…"``, ``code: ClassVar[str] = "…"``
    and the tuple form ``status, code, title = 422, "90018", "…"``."""
    found: list[str] = []
    for stmt in cls.body:
        if isinstance(stmt, ast.AnnAssign) and _name(stmt.target) == "code" and isinstance(stmt.value, ast.Constant):
            found.append(stmt.value.value)
        if not isinstance(stmt, ast.Assign):
            continue
        for target in stmt.targets:
            if _name(target) == "code" and isinstance(stmt.value, ast.Constant):
                found.append(stmt.value.value)
            if isinstance(target, ast.Tuple) and isinstance(stmt.value, ast.Tuple):
                for t, v in zip(target.elts, stmt.value.elts, strict=True):
                    if _name(t) == "code" and isinstance(v, ast.Constant):
                        found.append(v.value)
    return found


def _source_codes() -> dict[str, list[str]]:
    """code -> where the source writes it: class attributes of ApiError subclasses, ``code=``
    string keywords (ApiError constructors, ErrorItem overrides, helpers that pass them on) and
    string defaults of parameters named ``code``."""
    trees = {path: ast.parse(path.read_text(), str(path)) for path in sorted(PACKAGE.rglob("*.py"))}
    bases: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(n for b in node.bases if (n := _name(b)))

    def is_error(name: str, seen: frozenset[str] = frozenset()) -> bool:
        if name == "ApiError":
            return True
        return name not in seen and any(is_error(b, seen | {name}) for b in bases.get(name, ()))

    where: dict[str, list[str]] = {}
    for path, tree in trees.items():
        rel = path.relative_to(PACKAGE.parent)
        for node in ast.walk(tree):
            codes: list[object] = []
            if isinstance(node, ast.ClassDef) and is_error(node.name):
                codes = list(_class_codes(node))
            elif isinstance(node, ast.Call):
                codes = [k.value.value for k in node.keywords if k.arg == "code" and isinstance(k.value, ast.Constant)]
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = [*node.args.posonlyargs, *node.args.args]
                pairs = [*zip(args[len(args) - len(node.args.defaults) :], node.args.defaults, strict=True), *zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)]
                codes = [d.value for a, d in pairs if a.arg == "code" and isinstance(d, ast.Constant) and d.value is not None]
            for code in codes:
                where.setdefault(str(code), []).append(f"{rel}:{node.lineno}")
    return where


def test_every_code_written_in_the_source_is_in_the_table() -> None:
    where = _source_codes()
    # The walk sees the kinds of places codes are written (so an empty result can't pass).
    assert {"90018", "90015", "90103", "10010", "10004", "10033"} <= set(where)
    missing = {code: places for code, places in where.items() if code not in CODES}
    assert missing == {}


def _subclasses(cls: type[ApiError]) -> Iterator[type[ApiError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _import_everything() -> None:
    for module in pkgutil.walk_packages(emulator.__path__, "emulator."):
        if not module.name.endswith("__main__"):  # __main__ starts the server
            importlib.import_module(module.name)


def test_every_error_class_declares_a_code_of_the_table_with_its_title() -> None:
    """A class's title is its code's title, so ``Named(detail)`` and ``Base(detail, code=…)``
    (which takes the title from CODES) render the same."""
    _import_everything()
    classes = {ApiError, *_subclasses(ApiError)}
    assert {call_errors.CallEnded, DialRateLimited, NotFound} <= classes
    wrong = {
        f"{c.__module__}:{c.__qualname__}": (c.code, c.title, CODES[c.code].title if c.code in CODES else None)
        for c in classes
        if c.code not in CODES or CODES[c.code].title != c.title
    }
    assert wrong == {}


def test_default_code_tables_only_name_codes_of_the_table() -> None:
    """Codes chosen at run time come from these tables (forced errors, scripted LLM errors,
    validation problems by kind)."""
    chosen = {code for code, _ in DEFAULT_ERRORS.values()} | set(LLM_DEFAULT_CODES.values()) | set(CODE_BY_KIND.values())
    assert "10010" in chosen  # a 403 from a fault rule or the LLM
    assert sorted(chosen - set(CODES)) == []
    assert all(CODES[code].title == title for code, title in DEFAULT_ERRORS.values())


def test_authorization_failed_is_an_emulator_code() -> None:
    assert CODES["10010"].title == "Authorization Failed"
    assert CODES["10010"].source == "emulator"  # the published document never uses it


# -- the named call-control errors render what the literal codes did -----------------------------

ITEM = ErrorItem("The call_control_id provided was not valid.", parameter="call_control_id", location="path")
BRIDGE = "The call_control_id provided was not valid."
DIGITS = "digits must be made of 0-9, A-D, *, # and w/W pauses."
RETRY = {"retry-after": "1", "x-ratelimit-limit": "1", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"}

# (named error, the spelling it replaced, the envelope: status, code, title)
CASES: list[tuple[Callable[[], ApiError], Callable[[], ApiError], tuple[int, str, str]]] = [
    (lambda: call_errors.CallNotFound("Call not found.", items=[ITEM]), lambda: NotFound("Call not found.", code="90015", items=[ITEM]),
     (404, "90015", "Invalid Call Control ID")),
    (lambda: call_errors.InvalidCallControlId(items=[ErrorItem(BRIDGE, pointer="/call_control_id")]),
     lambda: ValidationFailed(items=[ErrorItem(BRIDGE, pointer="/call_control_id", code="90015")]), (422, "90015", "Invalid Call Control ID")),
    (lambda: call_errors.InvalidSendDigits(items=[ErrorItem(DIGITS, pointer="/digits")]),
     lambda: ValidationFailed(items=[ErrorItem(DIGITS, pointer="/digits", code="90014")]), (422, "90014", "Invalid value for SendDigits")),
    (lambda: call_errors.CallEnded("This call is no longer active."), lambda: Unprocessable("This call is no longer active.", code="90018"),
     (422, "90018", "Call has already ended")),
    (lambda: call_errors.CallNotAnswered("Not answered yet."), lambda: Unprocessable("Not answered yet.", code="90034"),
     (422, "90034", "Call not answered yet")),
    (lambda: call_errors.CannotExecute("No recording."), lambda: Unprocessable("No recording.", code="90033"),
     (422, "90033", "Unable to execute command")),
    (lambda: call_errors.CallNotForked("Not forked."), lambda: Unprocessable("Not forked.", code="90031"),
     (422, "90031", "Call is not currently forked")),
    (lambda: call_errors.StreamingInUse("Streaming."), lambda: Unprocessable("Streaming.", code="90045"),
     (422, "90045", "Media Streaming is used")),
    (lambda: call_errors.AlreadyQueued("Queued."), lambda: Unprocessable("Queued.", code="90038"),
     (422, "90038", "Call already in queue")),
    (lambda: call_errors.TranscriptionInProgress("Twice."), lambda: Unprocessable("Twice.", code="90054"),
     (422, "90054", "Call transcription is already in progress")),
    (lambda: call_errors.AiSessionInProgress("Twice."), lambda: Unprocessable("Twice.", code="90061"),
     (422, "90061", "AI Assistant is already in progress")),
    (lambda: DialRateLimited("Too fast.", headers=RETRY), lambda: RateLimited("Too fast.", code="90103", headers=RETRY),
     (429, "90103", "Dial rate limit exceeded")),
]


@pytest.mark.parametrize(("named", "literal", "envelope"), CASES, ids=[type(c[0]()).__name__ for c in CASES])
def test_named_error_renders_the_envelope_of_the_literal_code(
    named: Callable[[], ApiError], literal: Callable[[], ApiError], envelope: tuple[int, str, str]
) -> None:
    new, old = named(), literal()
    status, code, title = envelope
    body = error_body(new, ErrorStyle.TELNYX)
    errors = body["errors"]
    assert isinstance(errors, list)
    assert (new.instance_status, errors[0]["code"], errors[0]["title"]) == (status, code, title)
    assert errors[0]["meta"] == {"url": f"https://developers.telnyx.com/docs/overview/errors/{code}"}
    for style in ErrorStyle:  # byte-identical whatever envelope the operation speaks
        assert error_body(new, style) == error_body(old, style)
    assert (new.instance_status, new.headers) == (old.instance_status, old.headers)


def test_every_named_call_error_is_checked_above() -> None:
    declared = {c for _, c in inspect.getmembers(call_errors, inspect.isclass) if issubclass(c, ApiError) and c.__module__ == call_errors.__name__}
    assert declared == {type(named()) for named, _, _ in CASES} - {DialRateLimited}
