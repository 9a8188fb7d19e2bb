"""Downloads of generated reports: ``GET /_emulator/reports/speech_to_text/{id}.csv`` serves the
CSV a completed legacy STT batch report's ``download_link`` points at (the id is the secret, as
with a pre-signed link)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from emulator.core.errors import NotFound
from emulator.families.speech.store import SttReports
from emulator.runtime.family import ControlRoute


async def stt_csv(request: Request) -> Response:
    # Like a pre-signed link, the download needs no admin token: the unguessable id is the secret.
    emulator = request.app.state.emulator
    report_id = request.path_params["report_id"]
    for tenant in emulator.state.tenants.values():
        store = tenant.stores().get(SttReports)
        report = store.reports.get(report_id) if store is not None else None
        if report is not None and report.get("csv") is not None:
            return Response(report["csv"], media_type="text/csv", headers={"content-disposition": f'attachment; filename="{report_id}.csv"'})
    raise NotFound(f"No completed speech to text report {report_id}.")


CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "GET", "/_emulator/reports/speech_to_text/{report_id}.csv", stt_csv, "downloadSttReport",
        "CSV of a completed legacy speech-to-text batch report",
        {
            "parameters": [{"name": "report_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "CSV", "content": {"text/csv": {}}}, "404": {"description": "unknown or not complete"}},
        },
        access="public",
    ),
)
