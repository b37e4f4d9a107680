"""What the Playground page does besides drawing: the choices it offers (cached), sending a
prompt through the instrumented client, finding the call in the ledger, running traffic.

The page stays thin: it reads widgets, calls these functions and draws with
``app.dashboard.components.playground``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from aoai_client.chat import ChatOutcome, ChatRequest, run_chat
from aoai_client.traffic import Prompt, TrafficPlan, TrafficReport, load_prompts, run_traffic
from app import key_vault, lens_client
from app.config import load_settings
from app.dashboard import cache, db
from queries import playground

LEDGER_WAIT_S = 6.0


@dataclass(frozen=True)
class Target:
    endpoint: str
    simulated: bool


@dataclass
class Sent:
    outcome: ChatOutcome
    stored: dict[str, Any] | None  # the call's ledger row with its cost, once stored


def target() -> Target:
    settings = load_settings()
    return Target(lens_client.endpoint(settings), lens_client.uses_simulator(settings))


@st.cache_data(ttl=60, max_entries=4, show_spinner=False)
def _seen(version: str) -> list[str]:
    seen = playground.deployments_seen(db.cursor())
    chat = seen[seen["operation"] != "embeddings"]
    return [str(name) for name in chat["deployment"].drop_duplicates()]


@st.cache_data(ttl=60, max_entries=4, show_spinner=False)
def _tenants(version: str) -> list[str]:
    return [str(t) for t in playground.tenants_known(db.cursor())["tenant_id"]]


def deployment_choices() -> list[str]:
    return lens_client.offered_deployments(load_settings(), _seen(cache.data_version()))


def tenant_choices() -> list[str]:
    return _tenants(cache.data_version())


def prompt_set() -> tuple[Prompt, ...]:
    return load_prompts()


def send(request: ChatRequest, on_text: Callable[[str], object] | None = None) -> Sent:
    """One call; then its spans are flushed and the ledger polled for its row."""
    outcome = chat_with_current_key(request, on_text)
    return Sent(outcome, stored_call(outcome.call_id))


def chat_with_current_key(
    request: ChatRequest, on_text: Callable[[str], object] | None = None
) -> ChatOutcome:
    """One call; when the resource refuses the key (401) and the key came from Key Vault,
    the secrets are read again (the key may have been rotated) and the call sent once more."""
    outcome = run_chat(lens_client.playground_client(), request, on_text)
    if outcome.http_status == 401 and key_vault.forget_secrets():
        lens_client.forget_client()
        outcome = run_chat(lens_client.playground_client(), request, on_text)
    return outcome


def stored_call(call_id: str | None, wait_s: float = LEDGER_WAIT_S) -> dict[str, Any] | None:
    if call_id is None:
        return None
    lens_client.flush_spans(load_settings())
    deadline = time.monotonic() + wait_s
    while True:
        rows = playground.call_outcome(db.cursor(), call_id)
        if not rows.empty:
            return {str(key): value for key, value in rows.iloc[0].to_dict().items()}
        if time.monotonic() > deadline:
            return None
        time.sleep(0.1)


@dataclass
class TrafficRun:
    """Traffic sent from a background thread; the page polls ``done``."""

    plan: TrafficPlan
    done: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    report: TrafficReport | None = None
    thread: threading.Thread | None = None

    @property
    def finished(self) -> bool:
        return self.report is not None


def start_traffic(
    deployments: list[str], tenants: list[str], count: int, rate: float, concurrency: int
) -> TrafficRun:
    plan = TrafficPlan(tuple(deployments), tuple(tenants), count, rate, concurrency, load_prompts())
    run = TrafficRun(plan)
    client = lens_client.playground_client()

    def progress(done: int, kind: str) -> None:
        run.done = done
        run.kinds[kind] = run.kinds.get(kind, 0) + 1

    def work() -> None:
        report = run_traffic(client, plan, progress)
        lens_client.flush_spans(load_settings())
        run.report = report

    run.thread = threading.Thread(target=work, name="lens-playground-traffic", daemon=True)
    run.thread.start()
    return run
