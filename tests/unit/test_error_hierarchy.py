"""One error hierarchy: every error class of the lens derives from ``LensError`` and says
what each boundary answers (HTTP status, exit code, Retry-After); the classes that were
``ValueError``s and ``RuntimeError``s still are, so old ``except`` clauses still catch them."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from collectors.billing.cost_export import CostExportError
from collectors.deployments import DeploymentsFileError
from collectors.loganalytics.client import EndpointError, PullError
from collectors.otlp.decode import BadPayloadError
from collectors.prices.fetch import RetailPricesError
from collectors.queue import BackpressureError, QueueClosedError, WriteRefusedError
from collectors.store import BatchDataError, StoreError
from collectors.tenants import TenantsFileError
from lens_errors import (
    BadInputError,
    BusyError,
    ConfigError,
    ForbiddenError,
    LensError,
    NotFoundError,
    UnauthorizedError,
    UnavailableError,
    UpstreamError,
)
from queries import QueryChoiceError
from queries.kql import KqlValueError

ROOT = Path(__file__).resolve().parents[2]
# the instrumented client and the simulator stand alone: their errors are not ours to re-base
OURS = ("app", "collectors", "queries")
SKIPPED = (
    "app/dashboard/app_pages",
    "app/dashboard/entrypoint.py",
)  # Streamlit scripts, run, not imported


def error_classes() -> list[tuple[str, str]]:
    """(module, class) of every class named *Error or *Exception in our packages."""
    found = []
    for package in OURS:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(SKIPPED):
                continue
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.ClassDef) and node.name.endswith(("Error", "Exception")):
                    module = relative.removesuffix(".py").removesuffix("/__init__")
                    found.append((module.replace("/", "."), node.name))
    return found


def test_the_scan_finds_the_error_classes() -> None:
    names = {name for _, name in error_classes()}
    assert {"TenantsFileError", "BackpressureError", "QueryChoiceError", "ServerError"} <= names
    assert len(names) >= 25


@pytest.mark.parametrize(("module", "name"), error_classes())
def test_every_error_class_is_a_lens_error(module: str, name: str) -> None:
    found = getattr(importlib.import_module(module), name)
    assert issubclass(found, LensError), f"{module}.{name} stands outside LensError"


@pytest.mark.parametrize(
    ("error", "status", "exit_code", "retry_after_s"),
    [
        (LensError("m"), 500, 1, None),
        (BadInputError("m"), 400, 2, None),
        (UnauthorizedError("m"), 401, 1, None),
        (ForbiddenError("m"), 403, 1, None),
        (NotFoundError("m"), 404, 1, None),
        (ConfigError("m"), 409, 2, None),
        (UnavailableError("m", "h", 5), 503, 1, 5),
        (BusyError("m", "h", 7), 429, 1, 7),
        (UpstreamError("m"), 502, 1, None),
        (BackpressureError(120, 3), 429, 1, 3),
        (QueueClosedError("the server is shutting down"), 503, 1, None),
        (WriteRefusedError("bad batch"), 400, 2, None),
        (BadPayloadError("too large", 413), 413, 2, None),
        (StoreError("cannot open lens.duckdb"), 503, 1, None),
        (BatchDataError("out of range"), 400, 2, None),
        (CostExportError("not an export", "export FOCUS"), 400, 2, None),
        (RetailPricesError("unreachable", "retry"), 502, 1, None),
        (PullError("credential", "401", "sign in"), 502, 1, None),
        (TenantsFileError("rule 1"), 409, 2, None),
        (DeploymentsFileError("entry 1"), 409, 2, None),
        (EndpointError("not https"), 409, 2, None),
        (QueryChoiceError("group_by"), 400, 2, None),
        (KqlValueError("naive"), 400, 2, None),
    ],
)
def test_each_error_carries_what_the_boundaries_answer(
    error: LensError, status: int, exit_code: int, retry_after_s: int | None
) -> None:
    assert (error.status, error.exit_code, error.retry_after_s) == (
        status,
        exit_code,
        retry_after_s,
    )


@pytest.mark.parametrize(
    ("error", "old_base"),
    [
        (TenantsFileError("rule 1"), ValueError),
        (CostExportError("not an export", "export FOCUS"), ValueError),
        (BadPayloadError("bad"), ValueError),
        (StoreError("cannot open"), RuntimeError),
        (RetailPricesError("unreachable", "retry"), RuntimeError),
        (KqlValueError("naive"), TypeError),
    ],
)
def test_the_old_built_in_base_still_catches(error: LensError, old_base: type) -> None:
    assert isinstance(error, old_base)


def test_message_and_hint_are_kept_apart_and_shown_together() -> None:
    error = CostExportError("neither FOCUS nor actual-cost columns", "export FOCUS as CSV")
    assert (error.message, error.hint) == (
        "neither FOCUS nor actual-cost columns",
        "export FOCUS as CSV",
    )
    assert str(error) == "neither FOCUS nor actual-cost columns (export FOCUS as CSV)"
    assert str(TenantsFileError("rule 1: kind must be one of")) == "rule 1: kind must be one of"
    queue_full = BackpressureError(120, 3)
    assert (queue_full.message, queue_full.waiting) == (
        "ingest queue is full (120 spans waiting)",
        120,
    )
