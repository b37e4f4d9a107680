"""Traffic generator: a prompt set sent across deployments and tenants at a target rate.

Works against any Azure OpenAI endpoint (the built-in simulator included) through the
instrumented client, so every call becomes a span like any application's. The shipped
prompt set (``prompts.jsonl``, one JSON object a line: ``id``, ``system``, ``user``,
``stream``, ``max_tokens``, ``expect``) mixes ordinary requests with some the simulator
annotates, blocks or filters, and a long shared system prompt that prompt caching hits.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import openai

from aoai_client.chat import ChatOutcome, ChatRequest, run_chat

log = logging.getLogger(__name__)


class PromptSetError(ValueError):
    """A prompt set line cannot be used; the message names the line."""


@dataclass(frozen=True)
class Prompt:
    id: str
    user: str
    system: str = ""
    stream: bool = False
    max_tokens: int | None = None
    expect: str = ""


def load_prompts(path: Path | None = None) -> tuple[Prompt, ...]:
    """The prompts of a JSONL file (default: the shipped set)."""
    if path is None:
        text = resources.files("aoai_client").joinpath("prompts.jsonl").read_text("utf-8")
        where = "prompts.jsonl"
    else:
        text, where = path.read_text(encoding="utf-8"), str(path)
    prompts = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            user = item["user"]
            if not isinstance(user, str) or not user:
                raise ValueError("'user' must be non-empty text")
            max_tokens = item.get("max_tokens")
            if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
                raise ValueError("'max_tokens' must be a positive integer")
            prompts.append(
                Prompt(
                    id=str(item.get("id", number)),
                    user=user,
                    system=str(item.get("system") or ""),
                    stream=item.get("stream") is True,
                    max_tokens=max_tokens,
                    expect=str(item.get("expect") or ""),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise PromptSetError(f"{where}:{number}: {exc}") from None
    if not prompts:
        raise PromptSetError(f"{where}: no prompts")
    return tuple(prompts)


@dataclass(frozen=True)
class TrafficPlan:
    deployments: tuple[str, ...]
    tenants: tuple[str, ...]
    count: int
    rate_per_s: float  # 0 or less: as fast as the concurrency allows
    concurrency: int
    prompts: tuple[Prompt, ...]
    seed: int = 0
    # Tenants whose calls ask for Priority processing (service_tier "priority").
    priority_tenants: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.deployments:
            raise ValueError("name at least one deployment")
        if self.count < 1 or self.concurrency < 1:
            raise ValueError("count and concurrency must be at least 1")

    def request(self, number: int, rng: random.Random) -> ChatRequest:
        prompt = self.prompts[rng.randrange(len(self.prompts))]
        tenant = self.tenants[rng.randrange(len(self.tenants))] if self.tenants else None
        return ChatRequest(
            deployment=self.deployments[number % len(self.deployments)],
            user=prompt.user,
            system=prompt.system,
            max_tokens=prompt.max_tokens,
            stream=prompt.stream,
            tenant_id=tenant,
            end_user=f"user-{rng.randrange(50):02d}",
            service_tier="priority" if tenant in self.priority_tenants else None,
        )


LOST = "lost"  # the kind of a call that raised instead of returning an outcome


@dataclass
class TrafficReport:
    sent: int = 0  # calls finished, whatever came of them
    kinds: Counter[str] = field(default_factory=Counter)  # outcome kind (or "lost") -> calls
    latencies_ms: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    call_ids: list[str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)  # error code (or message) -> calls
    lost: Counter[str] = field(default_factory=Counter)  # exception class -> calls
    lost_examples: dict[str, str] = field(default_factory=dict)  # exception class -> message
    failovers: Counter[str] = field(default_factory=Counter)  # first endpoint -> calls
    answered_by: Counter[str] = field(default_factory=Counter)  # endpoint -> calls (failover)

    def add(self, outcome: ChatOutcome) -> None:
        self.sent += 1
        self.kinds[outcome.kind] += 1
        if outcome.failover_from:
            self.failovers[outcome.failover_from] += 1
        if outcome.endpoint:
            self.answered_by[outcome.endpoint] += 1
        if outcome.kind == "error":
            self.errors[outcome.error_code or (outcome.error_message or "no answer")[:80]] += 1
        self.latencies_ms.append(outcome.latency_ms)
        if outcome.call_id:
            self.call_ids.append(outcome.call_id)

    def add_lost(self, error: BaseException) -> None:
        """A call that raised: counted by the exception's class, its first message kept."""
        self.sent += 1
        self.kinds[LOST] += 1
        kind = type(error).__name__
        self.lost[kind] += 1
        self.lost_examples.setdefault(kind, str(error)[:200])


Progress = Callable[[int, str], None]  # (calls finished, the kind of the last one)


def run_traffic(
    client: openai.AzureOpenAI,
    plan: TrafficPlan,
    on_progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> TrafficReport:
    """Send ``plan.count`` calls, starting one every ``1 / rate`` seconds, at most
    ``concurrency`` at a time; ``on_progress(done, kind)`` after each. Every call is
    accounted for: by its outcome, or, when it raised, as lost by the exception's class."""
    report = TrafficReport()
    lock = threading.Lock()
    slots = threading.Semaphore(plan.concurrency)
    rng = random.Random(plan.seed)
    interval = 1.0 / plan.rate_per_s if plan.rate_per_s > 0 else 0.0
    stop = stop or threading.Event()
    started = time.perf_counter()

    def call(request: ChatRequest) -> ChatOutcome:
        try:
            return run_chat(client, request)
        finally:
            slots.release()

    def record(future: Future[ChatOutcome]) -> None:
        error = future.exception()
        with lock:
            if error is None:
                outcome = future.result()
                report.add(outcome)
                kind = outcome.kind
            else:
                report.add_lost(error)
                kind = LOST
            done = report.sent
        if on_progress is not None:
            on_progress(done, kind)

    with ThreadPoolExecutor(plan.concurrency, thread_name_prefix="lens-traffic") as pool:
        for number in range(plan.count):
            wait = started + number * interval - time.perf_counter()
            if stop.wait(wait) if wait > 0 else stop.is_set():
                break
            slots.acquire()
            pool.submit(call, plan.request(number, rng)).add_done_callback(record)
    report.elapsed_s = time.perf_counter() - started
    return report


def start_live_traffic(
    client_factory: Callable[[], openai.AzureOpenAI],
    deployments: Sequence[str],
    tenants: Sequence[str],
    per_minute: float,
    stop: threading.Event,
    prompts: tuple[Prompt, ...] | None = None,
) -> threading.Thread:
    """A background thread sending about ``per_minute`` calls a minute (Poisson arrivals)
    until ``stop`` is set: the low, steady traffic of a demo."""
    chosen = prompts or load_prompts()
    # The first tenant asks for Priority, so the demo shows tiers served (and downgraded).
    plan = TrafficPlan(tuple(deployments), tuple(tenants), 1, 0, 1, chosen,
                       priority_tenants=tuple(tenants[:1]))  # fmt: skip

    def loop() -> None:
        rng = random.Random()
        client = client_factory()
        number = 0
        while not stop.wait(rng.expovariate(per_minute / 60.0)):
            request = plan.request(number, rng)
            number += 1
            try:
                run_chat(client, request)
            except Exception:  # a demo thread logs and carries on
                log.exception("live traffic call failed")

    thread = threading.Thread(target=loop, name="lens-live-traffic", daemon=True)
    thread.start()
    return thread
