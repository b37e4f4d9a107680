"""Machine-facing routes of the lens server other than OTLP: ``GET /healthz``,
``GET /api/chargeback.csv``, ``POST /api/prices/refresh``, ``POST /api/backfill`` and
``POST /api/alerts/check`` and ``GET /api/advise``.

Errors are one JSON shape: ``{"error": ..., "hint": ...}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import duckdb
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from app.exports import FORMATS
from app.lens import Lens, running_lens
from app.server.access_guard import request_identity
from collectors.billing.cost_export import CostExportError
from collectors.loganalytics.sources import SOURCES, parse_since
from collectors.otlp.grpc_receiver import OtlpGrpcReceiver
from collectors.otlp.receiver import OtlpReceiver
from collectors.prices.fetch import RetailPricesError
from collectors.queue import WriterHealth
from collectors.store import StoreHealth
from queries.chargeback import last_full_month, month_bounds


def health_response(
    health: StoreHealth,
    writer: WriterHealth,
    waiting: int,
    receiver: OtlpReceiver,
    otlp_grpc: OtlpGrpcReceiver | None = None,
) -> JSONResponse:
    """``/healthz``: ``status`` is ``ok`` only while the writer is alive and writes succeed;
    the route answers 503 otherwise, so probes see a lens that stopped storing. ``otlp``
    holds the OTLP/HTTP counts and, under ``grpc``, the OTLP/gRPC service's."""
    status = "ok"
    if receiver.stopping:
        status = "stopping"
    elif writer.failing:
        status = "failing"
    return JSONResponse(
        {
            "status": status,
            "db": health.file_name,
            "calls": health.calls,
            "last_ingest": health.last_ingest.isoformat() if health.last_ingest else None,
            "queue": waiting,
            "writer": {
                "alive": writer.alive,
                "last_commit": _iso(writer.last_commit_at),
                "last_error": writer.last_error,
                "last_error_at": _iso(writer.last_error_at),
                "refused": writer.refused,
            },
            "otlp": {
                **receiver.counts.as_dict(),
                "in_progress": receiver.in_flight,
                "grpc": otlp_grpc.status() if otlp_grpc is not None else None,
            },
        },
        status_code=200 if status == "ok" else 503,
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def error_response(status: int, message: str, hint: str) -> JSONResponse:
    return JSONResponse({"error": message, "hint": hint}, status_code=status)


async def uploaded_files(request: Request) -> list[tuple[str, bytes]]:
    """The ``file`` fields of a multipart form, or the body itself as one file."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=64, max_part_size=512 * 1024 * 1024)
        found: list[tuple[str, bytes]] = []
        for value in form.getlist("file"):
            if isinstance(value, UploadFile):
                found.append((value.filename or "export", await value.read()))
        return found
    body = await request.body()
    return [("export", body)] if body else []


def build_routes(lens_of: Callable[[], Lens | None] = running_lens) -> list[Route]:
    """The routes, each reading the running lens (``lens_of``) per request: none yet (or no
    more) is ``503``, and OTLP gets its own ``503`` + ``Retry-After`` from a receiver that is
    never attached."""
    idle = OtlpReceiver()  # never attached: answers "starting or stopping"

    async def traces(request: Request) -> Response:
        lens = lens_of()
        return await (lens.receiver if lens is not None else idle).handle(request)

    async def healthz(request: Request) -> JSONResponse:
        lens = lens_of()
        store, queue = (lens.store, lens.queue) if lens is not None else (None, None)
        if lens is None or store is None or queue is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        health = await run_in_threadpool(store.health)
        answer = health_response(
            health, queue.health(), queue.waiting, lens.receiver, lens.grpc_receiver
        )
        if lens.access is not None and request_identity(request.scope) is None:
            status = json.loads(bytes(answer.body))["status"]  # the anonymous learn only this
            return JSONResponse({"status": status}, status_code=answer.status_code)
        return answer

    async def chargeback_route(request: Request) -> Response:
        lens = lens_of()
        if lens is None:
            return error_response(503, "the lens server is starting", "retry in a few seconds")
        month = request.query_params.get("month") or last_full_month(datetime.now(UTC))
        fmt = request.query_params.get("format", "csv")
        try:
            month_bounds(month)
        except ValueError as exc:
            return error_response(400, str(exc), "pass month=YYYY-MM, e.g. month=2026-10")
        if fmt not in FORMATS:
            return error_response(400, f"unknown format {fmt!r}", "use format=csv or format=focus")
        who = request_identity(request.scope)
        tenants = who.tenants if who is not None else None
        text = await run_in_threadpool(lens.chargeback_file, month, fmt, tenants)
        detail: dict[str, object] = {"via": "api", "month": month, "format": fmt}
        detail["tenants"] = list(tenants) if tenants is not None else "all"
        await run_in_threadpool(lens.audit, who, "export.chargeback", month, detail)
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="chargeback-{month}.csv"'},
        )

    async def prices_refresh_route(request: Request) -> Response:
        lens = lens_of()
        if lens is None:
            return error_response(503, "the lens server is starting", "retry in a few seconds")
        apply = request.query_params.get("apply", "false").lower() in ("1", "true", "yes")
        who = request_identity(request.scope)
        if apply and (who is None or not who.may("prices.apply")):
            role = who.role if who is not None else "anonymous"
            await run_in_threadpool(
                lens.audit, who, "denied", request.url.path, {"status": 403, "apply": True}
            )
            return error_response(
                403, f"the role {role!r} may read the price book, not apply it",
                "ask an admin to apply the new prices",
            )  # fmt: skip
        try:
            report = await run_in_threadpool(lens.refresh_prices, apply)
        except RetailPricesError as exc:
            return error_response(502, exc.message, exc.hint)
        if apply:
            changes = report["changes"]
            detail = {
                "applied_version": report["applied_version"],
                "changes": len(changes) if isinstance(changes, list) else 0,
            }
            await run_in_threadpool(lens.audit, who, "prices.apply", "price_book", detail)
        return JSONResponse(report)

    async def backfill_route(request: Request) -> Response:
        name = request.query_params.get("source", "")
        if name not in SOURCES:
            return error_response(
                400, f"unknown source {name!r}", f"use source= one of {', '.join(SOURCES)}"
            )
        try:
            since = parse_since(request.query_params.get("since", ""))
        except ValueError as exc:
            return error_response(400, str(exc), "pass since=30d, 12h or 90m")
        lens = lens_of()
        if lens is None:
            return error_response(503, "the lens server is starting", "retry in a few seconds")
        if lens.poller is None:
            return error_response(
                409,
                "no Log Analytics workspace is configured",
                "set LOG_ANALYTICS_WORKSPACE_ID (and a credential) and restart the server",
            )
        detail: dict[str, object] = {"source": name, "since": request.query_params.get("since", "")}
        await run_in_threadpool(
            lens.audit, request_identity(request.scope), "backfill", name, detail
        )
        return StreamingResponse(lens.backfill(name, since), media_type="application/x-ndjson")

    async def alerts_check_route(request: Request) -> Response:
        lens = lens_of()
        config = lens.alerts if lens is not None else None
        if lens is None or config is None:
            return error_response(503, "the lens server is starting", "retry in a few seconds")
        dry_run = request.query_params.get("dry_run", "false").lower() in ("1", "true", "yes")
        try:
            report = await run_in_threadpool(lens.check_alerts, config, dry_run)
        except duckdb.Error as exc:
            return error_response(503, f"the budgets could not be read: {exc}", "retry later")
        if not dry_run:
            detail: dict[str, object] = {"fired": len(report.fired), "month": report.month}
            await run_in_threadpool(
                lens.audit, request_identity(request.scope), "alerts.check", "budgets", detail
            )
        return JSONResponse(report.as_dict())

    async def advise_route(request: Request) -> Response:
        lens = lens_of()
        if lens is None:
            return error_response(503, "the lens server is starting", "retry in a few seconds")
        try:
            since = parse_since(request.query_params.get("since", "30d"))
        except ValueError as exc:
            return error_response(400, str(exc), "pass since=30d, 12h or 90m")
        who = request_identity(request.scope)
        if who is not None and who.tenants is not None:  # advice reads every tenant's calls
            return error_response(
                403, "the advisor reads every tenant's calls",
                "ask an admin for a role that is not limited to some tenants",
            )  # fmt: skip
        try:
            report = await run_in_threadpool(lens.advice, since)
        except duckdb.Error as exc:
            return error_response(503, f"the ledger could not be read: {exc}", "retry later")
        return JSONResponse(report)

    async def reconcile_route(request: Request) -> Response:
        lens = lens_of()
        if lens is None:
            return error_response(503, "the lens server is starting", "retry in a few seconds")
        month = request.query_params.get("month", "")
        try:
            month_bounds(month)
        except ValueError as exc:
            return error_response(400, str(exc), "pass month=YYYY-MM, e.g. month=2026-10")
        try:
            files = await uploaded_files(request)
        except HTTPException as exc:  # a form that does not parse
            return error_response(400, f"the upload could not be read: {exc.detail}",
                                  "send multipart/form-data fields named file")  # fmt: skip
        if not files:
            return error_response(
                400, "no Cost Management export was sent",
                "send the export files as multipart/form-data fields named file",
            )  # fmt: skip
        try:
            done = await run_in_threadpool(lens.reconcile, month, files)
        except CostExportError as exc:
            return error_response(400, exc.message, exc.hint)
        detail = {"via": "api", "month": month, "files": [n for n, _ in files], **done.summary()}
        await run_in_threadpool(
            lens.audit, request_identity(request.scope), "reconcile", month, detail
        )
        return Response(
            done.csv(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="reconciliation-{month}.csv"',
                "X-Lens-Summary": json.dumps(done.summary()),
            },
        )

    return [
        Route("/api/alerts/check", alerts_check_route, methods=["POST"]),
        Route("/api/advise", advise_route, methods=["GET"]),
        Route("/api/backfill", backfill_route, methods=["POST"]),
        Route("/api/reconcile", reconcile_route, methods=["POST"]),
        Route("/api/chargeback.csv", chargeback_route, methods=["GET"]),
        Route("/api/prices/refresh", prices_refresh_route, methods=["POST"]),
        Route("/v1/traces", traces, methods=["POST"]),
        Route("/v1/traces", idle.refuse_method, methods=["GET", "PUT", "PATCH", "DELETE"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
