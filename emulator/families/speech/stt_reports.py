"""Legacy speech-to-text reporting: batch detail-record requests and the synchronous usage report,
both computed from the transcriptions actually made (``TranscriptionLog``, written by
``/ai/audio/transcriptions`` and friends).

A batch request moves PENDING -> COMPLETE under the ``stt_report`` lifecycle policy; complete, it
names a ``download_link`` the emulator serves (``GET /_emulator/reports/speech_to_text/{id}.csv``).
"""

from __future__ import annotations

import copy
import csv
import io
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from emulator.core.errors import BadRequest, ErrorItem, NotFound, ValidationFailed
from emulator.fakes.stt import TranscriptionLog, TranscriptionRecord
from emulator.families.speech import rules
from emulator.families.speech.store import SttReports
from emulator.http.binding import operation
from emulator.runtime.implicit import IdKind, Ids

if TYPE_CHECKING:
    from emulator.http.context import RequestContext
    from emulator.runtime.emulator import Emulator

CSV_FIELDS = ("id", "created_at", "model", "duration_seconds", "source", "language", "response_format", "characters", "sha256")


def _instant(value: Any, name: str, *, query: bool = False) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        item = ErrorItem(f"{name} must be an ISO 8601 date-time", parameter=name, location="query") if query else ErrorItem(f"{name} must be an ISO 8601 date-time", pointer=f"/{name}")
        raise ValidationFailed(items=[item]) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parsed(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    return ids["id"] in emulator.state.tenant(api_key).store(SttReports).reports


def _adopt(emulator: Emulator, api_key: str, ids: Ids, record: dict[str, Any]) -> None:
    """A COMPLETE report over the synthesized window (earliest date first), its CSV computed
    from the transcriptions the key made in it; the link is written when it is read."""
    dates = sorted(d for d in (_parsed(record.get("start_date")), _parsed(record.get("end_date"))) if d is not None)
    start, end = (dates[0], dates[-1]) if dates else (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
    entries = _within(list(emulator.state.tenant(api_key).store(TranscriptionLog).entries), start, end)
    emulator.state.tenant(api_key).store(SttReports).reports[ids["id"]] = {
        "id": ids["id"], "record_type": "speech_to_text_report", "status": "COMPLETE",
        "created_at": str(record.get("created_at") or end.isoformat()),
        "start_date": start.isoformat().replace("+00:00", "Z"), "end_date": end.isoformat().replace("+00:00", "Z"),
        "csv": report_csv(entries)}


ID_KINDS: tuple[IdKind[Emulator], ...] = (
    IdKind(kind="stt_report", template="/legacy/reporting/batch_detail_records/speech_to_text/{id}", exists=_exists, adopt=_adopt),
)


def _within(entries: list[TranscriptionRecord], start: datetime, end: datetime) -> list[TranscriptionRecord]:
    def when(e: TranscriptionRecord) -> datetime:
        at = getattr(e, "at", None)
        return datetime.fromtimestamp(at, tz=UTC) if isinstance(at, int | float) else _instant(e.created_at, "created_at")

    return [e for e in entries if start <= when(e) < end]


def report_csv(entries: list[TranscriptionRecord]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for e in entries:
        writer.writerow([e.id, e.created_at, e.model, e.duration, e.source, e.language or "", e.response_format, e.characters, e.sha256])
    return out.getvalue()


def _view(ctx: RequestContext, report: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in report.items() if k != "csv"}
    if out.get("status") == "COMPLETE" and "download_link" not in out:  # adopted: no link made yet
        out["download_link"] = download_link(ctx.base_url(), out["id"])
    return out


def download_link(base_url: str, report_id: str) -> str:
    return f"{base_url}/_emulator/reports/speech_to_text/{report_id}.csv"


def _window(ctx: RequestContext, start: datetime, end: datetime, *, query: bool) -> tuple[datetime, datetime]:
    """Equal dates are a valid, empty window (the document states no order; issue 11.8); an end
    before the start breaks ``stt_report_date_order`` — swapped in the warn mode."""
    if end < start:
        item = ErrorItem("end_date must not be before start_date", parameter="end_date", location="query") if query else ErrorItem("end_date must not be before start_date", pointer="/end_date")
        ctx.business_rule(rules.REPORT_DATE_ORDER, BadRequest("end_date must not be before start_date", items=[item]))
        return end, start
    return start, end


@operation("submitSttRequest")
async def create_report(ctx: RequestContext) -> Any:
    start, end = _window(ctx, _instant(ctx.json["start_date"], "start_date"), _instant(ctx.json["end_date"], "end_date"), query=False)
    report_id = ctx.tenant.ids.uuid()
    report: dict[str, Any] = {"id": report_id, "record_type": "speech_to_text_report", "status": "PENDING",
                              "created_at": ctx.state.clock.iso(), "start_date": ctx.json["start_date"], "end_date": ctx.json["end_date"]}
    ctx.tenant.store(SttReports).reports[report_id] = report
    link = download_link(ctx.base_url(), report_id)
    log = ctx.tenant.store(TranscriptionLog)

    def complete() -> None:
        report["csv"] = report_csv(_within(list(log.entries), start, end))
        report.update(status="COMPLETE", download_link=link)

    ctx.emulator.services.lifecycles.begin(ctx.api_key, "stt_report", report_id, [complete], labels=["COMPLETE"])
    return {"data": _view(ctx, report)}


@operation("getSttRequests")
async def list_reports(ctx: RequestContext) -> Any:
    return {"data": [_view(ctx, r) for r in ctx.tenant.store(SttReports).reports.values()]}


def _report(ctx: RequestContext) -> dict[str, Any]:
    found = ctx.tenant.store(SttReports).reports.get(str(ctx.path["id"]))
    if found is None:
        raise NotFound(f"Speech to text report {ctx.path['id']} not found")
    return found


@operation("getSttRequest")
async def get_report(ctx: RequestContext) -> Any:
    return {"data": _view(ctx, _report(ctx))}


@operation("deleteSttRequest")
async def delete_report(ctx: RequestContext) -> Any:
    report = _report(ctx)
    ctx.emulator.services.lifecycles.cancel(ctx.api_key, "stt_report", report["id"])
    del ctx.tenant.store(SttReports).reports[report["id"]]
    return {"data": _view(ctx, copy.deepcopy(report))}


@operation("getSttUsageReportSync")
async def usage_report(ctx: RequestContext) -> Any:
    """Seconds and requests per model between ``start_date`` and ``end_date`` (default: the last
    30 days of emulator time)."""
    now = ctx.state.clock.now_dt()
    end = _instant(ctx.query["end_date"], "end_date", query=True) if ctx.query.get("end_date") else now + timedelta(seconds=1)
    start = _instant(ctx.query["start_date"], "start_date", query=True) if ctx.query.get("start_date") else end - timedelta(days=30)
    start, end = _window(ctx, start, end, query=True)
    entries = _within(list(ctx.tenant.store(TranscriptionLog).entries), start, end)
    models: dict[str, dict[str, Any]] = {}
    for e in entries:
        row = models.setdefault(e.model, {"model": e.model, "requests": 0, "seconds": 0.0})
        row["requests"] += 1
        row["seconds"] = round(row["seconds"] + e.duration, 3)
    return {"data": {
        "start_date": start.isoformat(), "end_date": end.isoformat(), "total_requests": len(entries),
        "total_seconds": round(sum(e.duration for e in entries), 3), "models": list(models.values()),
    }}
