"""Realistic synthetic GenAI spans as OTLP export requests (demo data, benchmarks, tests).

The spans look like what the official OpenAI instrumentation emits around an
``AzureOpenAI`` client, plus the ``azure.openai.*`` attributes of our own client
(docs/attributes.md): deployment, region, deployment type, tenant, content filters.
Deterministic for a given seed.

So that the demo answers the questions the pages ask, traffic follows a working week
(busy office hours, quiet nights and weekends), each deployment has its own latency (a
base time, a generation speed and a long tail), throttling grows with the hour's load
(more so on the provisioned deployment at its peak), every filtered call carries the
verdict that filtered it, and embeddings carry no harm verdicts (Azure returns none).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status


@dataclass(frozen=True)
class SyntheticDeployment:
    name: str
    model: str
    deployment_type: str
    region: str
    endpoint: str
    base_ms: float  # the time before the first token, at its median
    ms_per_token: float  # generation time per output token
    spread: float  # sigma of the log-normal spread around the base time


DEPLOYMENTS: tuple[SyntheticDeployment, ...] = (
    SyntheticDeployment("gpt-4o-prod", "gpt-4o-2024-11-20", "GlobalStandard", "Sweden Central",
                        "aoai-prod-swc.openai.azure.com", 450, 14, 0.35),
    SyntheticDeployment("gpt-4o-mini", "gpt-4o-mini-2024-07-18", "GlobalStandard",
                        "Sweden Central", "aoai-prod-swc.openai.azure.com", 300, 7, 0.35),
    SyntheticDeployment("gpt-41-eu", "gpt-4.1-2025-04-14", "DataZoneStandard", "West Europe",
                        "aoai-eu-weu.openai.azure.com", 600, 17, 0.4),
    SyntheticDeployment("o4-mini-reasoning", "o4-mini-2025-04-16", "GlobalStandard", "East US 2",
                        "aoai-us-eus2.openai.azure.com", 1400, 9, 0.5),
    SyntheticDeployment("embed-small", "text-embedding-3-small", "Standard", "East US 2",
                        "aoai-us-eus2.openai.azure.com", 90, 0, 0.3),
    SyntheticDeployment("gpt-4o-ptu", "gpt-4o-2024-08-06", "ProvisionedManaged", "Sweden Central",
                        "aoai-prod-swc.openai.azure.com", 350, 11, 0.2),
)  # fmt: skip
# Where the demo's calls go (docs/attributes.md, "Routing"): the client fails over from a
# resource to its backup in another region (more often in busy hours), the EU deployment is
# reached through API Management backends, the provisioned deployment spills over to a
# standard one when saturated, and the first tenant asks for Priority processing, which
# busy hours downgrade to default.
BACKUPS: dict[str, tuple[str, str]] = {
    "aoai-prod-swc.openai.azure.com": ("aoai-prod-weu.openai.azure.com", "West Europe"),
    "aoai-eu-weu.openai.azure.com": ("aoai-eu-frc.openai.azure.com", "France Central"),
}
BACKENDS: dict[str, str] = {
    "aoai-eu-weu.openai.azure.com": "apim-eu-weu",
    "aoai-eu-frc.openai.azure.com": "apim-eu-frc",
}
SPILLOVER: tuple[str, str] = ("gpt-4o-spill", "Standard")  # the PTU's standard deployment
PRIORITY_TENANT = 0
HARMS: tuple[str, ...] = ("hate", "sexual", "violence", "self_harm")
TENANTS: tuple[str, ...] = ("contoso-support", "fabrikam-search", "northwind-hr", "adatum-legal")
SERVICES: tuple[str, ...] = ("chat-api", "search-indexer", "hr-assistant", "contract-review")
_SAFE = {"filtered": False, "severity": "safe"}
_DETECTED = {"filtered": False, "detected": True}
# Guardrails that annotate some answers, as Azure sends them (docs/attributes.md).
_GUARDRAILS: tuple[tuple[str, dict[str, object]], ...] = (
    ("personally_identifiable_information",
     {**_DETECTED, "details": [{"category": "Email"}, {"category": "PhoneNumber"}]}),
    ("protected_material_code",
     {**_DETECTED, "citation": {"URL": "https://github.com/example/sorting", "license": "MIT"}}),
    ("ungrounded_material",
     {**_DETECTED, "details": [{"completion_start_offset": 0, "completion_end_offset": 60}]}),
    ("task_adherence", dict(_DETECTED)),
)  # fmt: skip


def _kv(key: str, value: str | int | float | bool | list[str]) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    if isinstance(value, list):
        array = AnyValue()
        array.array_value.values.extend(AnyValue(string_value=v) for v in value)
        return KeyValue(key=key, value=array)
    return KeyValue(key=key, value=AnyValue(string_value=value))


class SpanFactory:
    """Makes GenAI call spans; ``rng`` and ``start`` decide everything."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        # Routing draws come from their own generator: the calls, tokens and outcomes of a
        # seed stay what they were before calls had routes.
        self.routes = random.Random(seed + 1_000_003)

    def span(
        self, at: datetime, tenant_index: int | None = None, load: float = 0.5
    ) -> tuple[Span, str]:
        """One model-call span at ``at`` and the service that made it; ``load`` (0 to 1) is
        how busy that hour is against the busiest."""
        rng = self.rng
        deployment = DEPLOYMENTS[rng.randrange(len(DEPLOYMENTS))]
        tenant = tenant_index if tenant_index is not None else rng.randrange(len(TENANTS))
        embeddings = deployment.model.startswith("text-embedding")
        provisioned = "Provisioned" in deployment.deployment_type
        input_tokens = rng.randint(20, 4000)
        cached = (input_tokens // 128) * 128 if input_tokens >= 1024 and rng.random() < 0.3 else 0
        output_tokens = 0 if embeddings else rng.randint(5, 900)
        reasoning = output_tokens // 2 if deployment.model.startswith("o4") else 0
        duration_ms = (
            deployment.base_ms * rng.lognormvariate(0, deployment.spread)
            + output_tokens * deployment.ms_per_token
        ) * (1 + 0.4 * load**2)  # busier hours answer slower
        if rng.random() < 0.02:  # the long tail: retries, cold paths, long queues
            duration_ms *= rng.uniform(2, 5)
        duration_ns = int(duration_ms * 1_000_000)
        start_ns = int(at.timestamp() * 1e9)
        # Throttling grows with the hour's load; a provisioned deployment hits its capacity.
        throttle = (0.002 + 0.08 * load**4) if provisioned else (0.001 + 0.02 * load**4)
        roll = rng.random()
        status_code, error_type, finish = Status.STATUS_CODE_UNSET, None, "stop"
        prompt_filter: dict[str, object] = {harm: _SAFE for harm in HARMS}
        completion_filter: dict[str, object] | None = None
        blocked = False
        if roll < throttle:
            status_code, error_type = Status.STATUS_CODE_ERROR, "RateLimitError"
        elif embeddings:
            pass  # no content-filter verdicts on embeddings
        elif roll < throttle + 0.005:
            status_code, error_type, blocked = Status.STATUS_CODE_ERROR, "BadRequestError", True
            if rng.random() < 0.3:
                prompt_filter = {**prompt_filter, "jailbreak": {"filtered": True, "detected": True}}
            else:
                harm = HARMS[rng.randrange(len(HARMS))]
                severity = "high" if rng.random() < 0.4 else "medium"
                prompt_filter = {**prompt_filter, harm: {"filtered": True, "severity": severity}}
        elif roll < throttle + 0.01:
            finish = "content_filter"
            harm = HARMS[rng.randrange(len(HARMS))]
            severity = "high" if rng.random() < 0.3 else "medium"
            completion_filter = {**prompt_filter, harm: {"filtered": True, "severity": severity}}
        elif roll < throttle + 0.04:
            harm = HARMS[rng.randrange(len(HARMS))]
            prompt_filter = {**prompt_filter, harm: {"filtered": False, "severity": "low"}}
            if roll < throttle + 0.02:  # a guardrail annotates the answer too (no extra draw)
                name, verdict = _GUARDRAILS[int(roll * 1_000_003) % len(_GUARDRAILS)]
                completion_filter = {**prompt_filter, name: verdict}
        operation = "embeddings" if embeddings else "chat"
        route = self._route(deployment, load, error_type is not None)
        attributes = [
            _kv("gen_ai.operation.name", operation),
            _kv("gen_ai.system", "openai"),
            _kv("gen_ai.request.model", deployment.name),
            _kv("server.address", route.pop("server.address")),
            _kv("azure.openai.deployment", route.pop("azure.openai.deployment")),
            _kv("azure.openai.api_version", "2024-10-21"),
            _kv("azure.openai.region", route.pop("azure.openai.region")),
            _kv("azure.openai.deployment_type", route.pop("azure.openai.deployment_type")),
            _kv("tenant.id", TENANTS[tenant]),
            _kv("enduser.id", f"user-{rng.randrange(200):03d}"),
            *(_kv(key, value) for key, value in route.items()),
        ]  # fmt: skip
        if not embeddings:
            attributes += self._tiers(tenant, load, error_type is not None)
        if not embeddings:
            attributes.append(_kv("azure.openai.prompt_filter_results", json.dumps(
                [{"prompt_index": 0, "content_filter_results": prompt_filter}])))  # fmt: skip
        if completion_filter is not None:
            attributes.append(_kv("azure.openai.completion_filter_results", json.dumps(
                [{"index": 0, "content_filter_results": completion_filter}])))  # fmt: skip
        if error_type is None:
            attributes += [
                _kv("gen_ai.response.model", deployment.model),
                _kv("gen_ai.response.id", f"chatcmpl-{rng.getrandbits(64):016x}"),
                _kv("gen_ai.usage.input_tokens", input_tokens),
                _kv("gen_ai.usage.cache_read.input_tokens", cached),
            ]
            if not embeddings:
                attributes += [
                    _kv("gen_ai.response.finish_reasons", [finish]),
                    _kv("gen_ai.usage.output_tokens", output_tokens),
                    _kv("gen_ai.usage.reasoning.output_tokens", reasoning),
                    _kv(
                        "gen_ai.response.time_to_first_chunk",
                        min(duration_ms, deployment.base_ms * rng.uniform(0.8, 1.2)) / 1000,
                    ),
                ]
        else:
            attributes.append(_kv("error.type", error_type))
        if blocked:
            attributes.append(_kv("azure.openai.content_filter.blocked", True))
        span = Span(
            trace_id=rng.getrandbits(128).to_bytes(16, "big"),
            span_id=rng.getrandbits(64).to_bytes(8, "big"),
            name=f"{operation} {deployment.name}",
            kind=Span.SPAN_KIND_CLIENT,
            start_time_unix_nano=start_ns,
            end_time_unix_nano=start_ns + duration_ns,
            attributes=attributes,
            status=Status(code=status_code),
        )
        return span, SERVICES[tenant % len(SERVICES)]

    def _route(
        self, deployment: SyntheticDeployment, load: float, failed: bool
    ) -> dict[str, str | int | bool]:
        """Where a call went: its endpoint, deployment and region, with the client's
        failover or the service's spillover when they happened."""
        route: dict[str, str | int | bool] = {
            "server.address": deployment.endpoint,
            "azure.openai.deployment": deployment.name,
            "azure.openai.region": deployment.region,
            "azure.openai.deployment_type": deployment.deployment_type,
        }
        draw = self.routes.random()
        if "Provisioned" in deployment.deployment_type:
            route["azure.openai.spillover.deployment"] = SPILLOVER[0]
            spilled = not failed and draw < 0.02 + 0.3 * load**4
            route["azure.openai.spillover.used"] = spilled
            if spilled:
                route["azure.openai.deployment"], route["azure.openai.deployment_type"] = SPILLOVER
                route["azure.openai.spillover.from_deployment"] = deployment.name
            return route
        backup = BACKUPS.get(deployment.endpoint)
        if backup is None:
            return route
        failed_over = failed or draw < 0.01 + 0.12 * load**4  # a 429 went to the backup too
        route["azure.openai.attempts"] = 2 if failed_over else 1
        if failed_over:
            route["server.address"], route["azure.openai.region"] = backup
            route["azure.openai.failover_from"] = f"https://{deployment.endpoint}"
        backend = BACKENDS.get(str(route["server.address"]))
        if backend is not None:
            route["azure.openai.backend"] = backend
        return route

    def _tiers(self, tenant: int, load: float, failed: bool) -> list[KeyValue]:
        """The service tier asked for (Priority, by one tenant) and the one that served."""
        asked = tenant == PRIORITY_TENANT
        tiers = [_kv("openai.request.service_tier", "priority")] if asked else []
        if failed:
            return tiers
        downgraded = self.routes.random() < 0.04 + 0.3 * load**3
        served = "priority" if asked and not downgraded else "default"
        return [*tiers, _kv("openai.response.service_tier", served)]


def export_requests(
    start: datetime, end: datetime, count: int, batch_size: int = 512, seed: int = 7
) -> Iterator[ExportTraceServiceRequest]:
    """``count`` spans over [start, end), in time order, in requests of ``batch_size``; each
    hour gets its share of a working week's rhythm (``hour_weights``)."""
    factory = SpanFactory(seed)
    moments = list(_moments(start, end, count))
    made = 0
    while made < count:
        request = ExportTraceServiceRequest()
        by_service: dict[str, list[Span]] = {}
        for at, load in moments[made : made + batch_size]:
            span, service = factory.span(at, load=load)
            by_service.setdefault(service, []).append(span)
            made += 1
        for service, spans in by_service.items():
            resource_spans = request.resource_spans.add()
            resource_spans.resource.attributes.append(_kv("service.name", service))
            scope_spans = resource_spans.scope_spans.add()
            scope_spans.scope.name = "opentelemetry.instrumentation.openai_v2"
            scope_spans.spans.extend(spans)
        yield request


def hour_weight(at: datetime) -> float:
    """How busy an hour is in a working week (UTC): office hours on weekdays the busiest."""
    hour = at.hour
    if 8 <= hour < 18:
        day = 1.0 if hour not in (12, 13) else 0.8
    elif hour in (6, 7, 18, 19, 20):
        day = 0.45
    else:
        day = 0.12
    return day * (1.0 if at.weekday() < 5 else 0.3)


def _moments(start: datetime, end: datetime, count: int) -> Iterator[tuple[datetime, float]]:
    """``count`` instants in [start, end), each hour's number by its weight (largest
    remainder, so they add up), evenly spaced within the hour; with each, the hour's load
    against the busiest hour."""
    if count <= 0 or end <= start:
        return
    hours: list[tuple[datetime, datetime, float]] = []
    cursor = start
    while cursor < end:
        next_hour = cursor.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        stop = min(next_hour, end)
        share = (stop - cursor) / timedelta(hours=1)
        hours.append((cursor, stop, hour_weight(cursor) * share))
        cursor = stop
    total = sum(weight for _, _, weight in hours)
    exact = [weight / total * count for _, _, weight in hours]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(hours)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: count - sum(counts)]:
        counts[i] += 1
    busiest = max(hour_weight(first) for first, _, _ in hours)
    for (first, stop, _), n in zip(hours, counts, strict=True):
        step = (stop - first) / n if n else timedelta(0)
        load = hour_weight(first) / busiest
        for k in range(n):
            yield first + step * k, load
