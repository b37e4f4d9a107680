"""Realistic synthetic GenAI spans as OTLP export requests (demo data, benchmarks, tests).

The spans look like what the official OpenAI instrumentation emits around an
``AzureOpenAI`` client, plus the ``azure.openai.*`` attributes of our own client
(docs/attributes.md): deployment, region, deployment type, tenant, content filters.
Deterministic for a given seed.
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


DEPLOYMENTS: tuple[SyntheticDeployment, ...] = (
    SyntheticDeployment("gpt-4o-prod", "gpt-4o-2024-11-20", "GlobalStandard", "Sweden Central",
                        "aoai-prod-swc.openai.azure.com"),
    SyntheticDeployment("gpt-4o-mini", "gpt-4o-mini-2024-07-18", "GlobalStandard",
                        "Sweden Central", "aoai-prod-swc.openai.azure.com"),
    SyntheticDeployment("gpt-41-eu", "gpt-4.1-2025-04-14", "DataZoneStandard", "West Europe",
                        "aoai-eu-weu.openai.azure.com"),
    SyntheticDeployment("o4-mini-reasoning", "o4-mini-2025-04-16", "GlobalStandard", "East US 2",
                        "aoai-us-eus2.openai.azure.com"),
    SyntheticDeployment("embed-small", "text-embedding-3-small", "Standard", "East US 2",
                        "aoai-us-eus2.openai.azure.com"),
    SyntheticDeployment("gpt-4o-ptu", "gpt-4o-2024-08-06", "ProvisionedManaged", "Sweden Central",
                        "aoai-prod-swc.openai.azure.com"),
)  # fmt: skip
TENANTS: tuple[str, ...] = ("contoso-support", "fabrikam-search", "northwind-hr", "adatum-legal")
SERVICES: tuple[str, ...] = ("chat-api", "search-indexer", "hr-assistant", "contract-review")
_SAFE = {"filtered": False, "severity": "safe"}


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

    def span(self, at: datetime, tenant_index: int | None = None) -> tuple[Span, str]:
        """One model-call span at ``at`` and the service that made it."""
        rng = self.rng
        deployment = DEPLOYMENTS[rng.randrange(len(DEPLOYMENTS))]
        tenant = tenant_index if tenant_index is not None else rng.randrange(len(TENANTS))
        embeddings = deployment.model.startswith("text-embedding")
        input_tokens = rng.randint(20, 4000)
        cached = (input_tokens // 128) * 128 if input_tokens >= 1024 and rng.random() < 0.3 else 0
        output_tokens = 0 if embeddings else rng.randint(5, 900)
        reasoning = output_tokens // 2 if deployment.model.startswith("o4") else 0
        duration_ns = rng.randint(150, 900) * 1_000_000 + output_tokens * 12_000_000
        start_ns = int(at.timestamp() * 1e9)
        roll = rng.random()
        status_code, error_type, finish = Status.STATUS_CODE_UNSET, None, "stop"
        prompt_filter: dict[str, object] = {"hate": _SAFE, "sexual": _SAFE, "violence": _SAFE,
                                            "self_harm": _SAFE}  # fmt: skip
        blocked = False
        if roll < 0.01:
            status_code, error_type = Status.STATUS_CODE_ERROR, "RateLimitError"
        elif roll < 0.015:
            status_code, error_type, blocked = Status.STATUS_CODE_ERROR, "BadRequestError", True
            prompt_filter = {**prompt_filter, "violence": {"filtered": True, "severity": "high"}}
        elif roll < 0.02:
            finish = "content_filter"
        elif roll < 0.05:
            prompt_filter = {**prompt_filter, "hate": {"filtered": False, "severity": "low"}}
        operation = "embeddings" if embeddings else "chat"
        attributes = [
            _kv("gen_ai.operation.name", operation),
            _kv("gen_ai.system", "openai"),
            _kv("gen_ai.request.model", deployment.name),
            _kv("server.address", deployment.endpoint),
            _kv("azure.openai.deployment", deployment.name),
            _kv("azure.openai.api_version", "2024-10-21"),
            _kv("azure.openai.region", deployment.region),
            _kv("azure.openai.deployment_type", deployment.deployment_type),
            _kv("tenant.id", TENANTS[tenant]),
            _kv("enduser.id", f"user-{rng.randrange(200):03d}"),
            _kv("azure.openai.prompt_filter_results",
                json.dumps([{"prompt_index": 0, "content_filter_results": prompt_filter}])),
        ]  # fmt: skip
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
                    _kv("gen_ai.response.time_to_first_chunk", rng.uniform(0.12, 0.9)),
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


def export_requests(
    start: datetime, end: datetime, count: int, batch_size: int = 512, seed: int = 7
) -> Iterator[ExportTraceServiceRequest]:
    """``count`` spans spread evenly over [start, end), in requests of ``batch_size``."""
    factory = SpanFactory(seed)
    step = (end - start) / max(count, 1)
    made = 0
    while made < count:
        request = ExportTraceServiceRequest()
        by_service: dict[str, list[Span]] = {}
        for _ in range(min(batch_size, count - made)):
            span, service = factory.span(start + step * made + timedelta(0))
            by_service.setdefault(service, []).append(span)
            made += 1
        for service, spans in by_service.items():
            resource_spans = request.resource_spans.add()
            resource_spans.resource.attributes.append(_kv("service.name", service))
            scope_spans = resource_spans.scope_spans.add()
            scope_spans.scope.name = "opentelemetry.instrumentation.openai_v2"
            scope_spans.spans.extend(spans)
        yield request
