"""Machine-facing routes of the lens server other than OTLP: ``GET /healthz``,
``GET /api/chargeback.csv``, ``POST /api/prices/refresh``, ``POST /api/backfill`` and
``POST /api/alerts/check``, ``GET /api/advise``, ``POST /api/reconcile`` and
``POST /api/reconcile/prices`` (the bill's unit prices, proposed or applied).

Routes raise ``LensError``s; ``app/http_errors.answers_errors`` turns them into the one
JSON shape ``{"error": ..., "hint": ...}`` with the error's status.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import duckdb
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from app.exports import FORMATS
from app.lens import Lens, running_lens
from app.reconciliation import refuse_bill_prices
from app.server.access_guard import request_identity
from app.server.http_errors import answers_errors
from collectors.loganalytics.sources import SOURCES, parse_since
from collectors.otlp.grpc_receiver import OtlpGrpcReceiver
from collectors.otlp.receiver import OtlpReceiver
from collectors.otlp.workers import IngestWorkers
from collectors.queue import WriterHealth
from collectors.store import StoreHealth
from lens_errors import BadInputError, ConfigError, ForbiddenError, UnavailableError
from queries.chargeback import last_full_month, month_bounds


def health_response(
    health: StoreHealth,
    writer: WriterHealth,
    waiting: int,
    receiver: OtlpReceiver,
    otlp_grpc: OtlpGrpcReceiver | None = None,
    workers: IngestWorkers | None = None,
) -> JSONResponse:
    """``/healthz``: ``status`` is ``ok`` only while the writer is alive and writes succeed;
    the route answers 503 otherwise, so probes see a lens that stopped storing. ``otlp``
    holds the OTLP/HTTP counts and, under ``grpc``, the OTLP/gRPC service's; under
    ``workers``, the ingest worker processes (none: ``count`` 0)."""
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
                "workers": workers.status() if workers is not None else {"count": 0},
            },
        },
        status_code=200 if status == "ok" else 503,
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def starting() -> UnavailableError:
    """What a route raises before the lifespan has opened the store."""
    return UnavailableError("the lens server is starting", "retry in a few seconds", 5)


def month_param(month: str) -> str:
    """``month`` when it is YYYY-MM; else a bad input naming the fix."""
    try:
        month_bounds(month)
    except ValueError as exc:
        raise BadInputError(str(exc), "pass month=YYYY-MM, e.g. month=2026-10") from None
    return month


def flag_param(request: Request, name: str) -> bool:
    """A yes/no query parameter: ``1``, ``true`` or ``yes`` (any case) is yes."""
    return request.query_params.get(name, "false").lower() in ("1", "true", "yes")


def since_param(since: str) -> timedelta:
    """``since`` as a duration; else a bad input naming the fix."""
    try:
        return parse_since(since)
    except ValueError as exc:
        raise BadInputError(str(exc), "pass since=30d, 12h or 90m") from None


UPLOAD_HINT = "send the export files as multipart/form-data fields named file"


async def uploaded_files(request: Request) -> list[tuple[str, bytes]]:
    """The ``file`` fields of a multipart form, or the body itself as one file; a form that
    does not parse, or one with no file, is a bad input."""
    try:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form(max_files=64, max_part_size=512 * 1024 * 1024)
            found: list[tuple[str, bytes]] = []
            for value in form.getlist("file"):
                if isinstance(value, UploadFile):
                    found.append((value.filename or "export", await value.read()))
        else:
            body = await request.body()
            found = [("export", body)] if body else []
    except HTTPException as exc:  # a form that does not parse
        raise BadInputError(f"the upload could not be read: {exc.detail}", UPLOAD_HINT) from None
    if not found:
        raise BadInputError("no Cost Management export was sent", UPLOAD_HINT)
    return found


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
            health, queue.health(), queue.waiting, lens.receiver, lens.grpc_receiver, lens.workers
        )
        if lens.access is not None and request_identity(request.scope) is None:
            status = json.loads(bytes(answer.body))["status"]  # the anonymous learn only this
            return JSONResponse({"status": status}, status_code=answer.status_code)
        return answer

    async def chargeback_route(request: Request) -> Response:
        lens = lens_of()
        if lens is None:
            raise starting()
        month = request.query_params.get("month") or last_full_month(datetime.now(UTC))
        fmt = request.query_params.get("format", "csv")
        month_param(month)
        if fmt not in FORMATS:
            raise BadInputError(f"unknown format {fmt!r}", "use format=csv or format=focus")
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
            raise starting()
        apply = flag_param(request, "apply")
        who = request_identity(request.scope)
        if apply and (who is None or not who.may("prices.apply")):
            role = who.role if who is not None else "anonymous"
            await run_in_threadpool(
                lens.audit, who, "denied", request.url.path, {"status": 403, "apply": True}
            )
            raise ForbiddenError(
                f"the role {role!r} may read the price book, not apply it",
                "ask an admin to apply the new prices",
            )
        # a RetailPricesError is an UpstreamError: 502
        report = await run_in_threadpool(lens.refresh_prices, apply)
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
            raise BadInputError(
                f"unknown source {name!r}", f"use source= one of {', '.join(SOURCES)}"
            )
        since = since_param(request.query_params.get("since", ""))
        lens = lens_of()
        if lens is None:
            raise starting()
        if lens.poller is None:
            raise ConfigError(
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
            raise starting()
        dry_run = flag_param(request, "dry_run")
        try:
            report = await run_in_threadpool(lens.check_alerts, config, dry_run)
        except duckdb.Error as exc:
            raise UnavailableError(f"the budgets could not be read: {exc}", "retry later") from exc
        if not dry_run:
            detail: dict[str, object] = {"fired": len(report.fired), "month": report.month}
            await run_in_threadpool(
                lens.audit, request_identity(request.scope), "alerts.check", "budgets", detail
            )
        return JSONResponse(report.as_dict())

    async def advise_route(request: Request) -> Response:
        lens = lens_of()
        if lens is None:
            raise starting()
        since = since_param(request.query_params.get("since", "30d"))
        who = request_identity(request.scope)
        if who is not None and who.tenants is not None:  # advice reads every tenant's calls
            raise ForbiddenError(
                "the advisor reads every tenant's calls",
                "ask an admin for a role that is not limited to some tenants",
            )
        try:
            report = await run_in_threadpool(lens.advice, since)
        except duckdb.Error as exc:
            raise UnavailableError(f"the ledger could not be read: {exc}", "retry later") from exc
        return JSONResponse(report)

    async def reconcile_route(request: Request) -> Response:
        lens = lens_of()
        if lens is None:
            raise starting()
        month = month_param(request.query_params.get("month", ""))
        files = await uploaded_files(request)
        # a CostExportError is a BadInputError: 400
        done = await run_in_threadpool(lens.reconcile, month, files)
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

    async def bill_prices_route(request: Request) -> Response:
        lens = lens_of()
        if lens is None:
            raise starting()
        month = month_param(request.query_params.get("month", ""))
        apply = flag_param(request, "apply")
        who = request_identity(request.scope)
        refused = refuse_bill_prices(who)
        if refused is not None:
            await run_in_threadpool(
                lens.audit, who, "denied", request.url.path, {"status": 403, "apply": apply}
            )
            raise ForbiddenError(refused, "ask an admin, or a finops identity for "
                                 "every tenant, to use the bill's prices")  # fmt: skip
        files = await uploaded_files(request)
        # a CostExportError is a BadInputError (400), a PriceBookConflictError a ConfigError (409)
        used = await run_in_threadpool(lens.bill_prices, month, files, apply)
        if apply:
            detail = {"via": "api", **used.audit_detail()}
            await run_in_threadpool(lens.audit, who, "prices.apply", used.proposal.source, detail)
        return JSONResponse(used.as_dict())

    return [
        Route("/api/alerts/check", answers_errors(alerts_check_route), methods=["POST"]),
        Route("/api/reconcile/prices", answers_errors(bill_prices_route), methods=["POST"]),
        Route("/api/advise", answers_errors(advise_route), methods=["GET"]),
        Route("/api/backfill", answers_errors(backfill_route), methods=["POST"]),
        Route("/api/reconcile", answers_errors(reconcile_route), methods=["POST"]),
        Route("/api/chargeback.csv", answers_errors(chargeback_route), methods=["GET"]),
        Route("/api/prices/refresh", answers_errors(prices_refresh_route), methods=["POST"]),
        Route("/v1/traces", traces, methods=["POST"]),
        Route("/v1/traces", idle.refuse_method, methods=["GET", "PUT", "PATCH", "DELETE"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
