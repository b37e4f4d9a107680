"""An instrumented Azure OpenAI client for any application (no Streamlit, no DuckDB).

    from aoai_client import ClientConfig, TelemetryConfig, build_client, call_context
    from aoai_client import configure_telemetry

    configure_telemetry(TelemetryConfig(service_name="chat-api",
                                        otlp_traces_endpoint="http://127.0.0.1:8501/v1/traces"))
    client = build_client(ClientConfig.from_env())
    with call_context(tenant_id="contoso"):
        client.chat.completions.create(model="<deployment>", messages=[...])

Spans come from ``opentelemetry-instrumentation-openai-v2``; the client's transport adds
what Azure says about the call (docs/attributes.md, "Ours: azure.openai.*").
"""

from aoai_client.chat import ChatOutcome, ChatRequest, consume_stream, run_chat
from aoai_client.client import SCOPE, build_async_client, build_client, token_provider
from aoai_client.config import (
    BreakerConfig,
    ClientConfig,
    ClientConfigError,
    Endpoint,
    TelemetryConfig,
)
from aoai_client.context import call_context, capture_span
from aoai_client.telemetry import Telemetry, configure_telemetry, content_capture_mode

__all__ = [
    "SCOPE",
    "BreakerConfig",
    "ChatOutcome",
    "ChatRequest",
    "ClientConfig",
    "ClientConfigError",
    "Endpoint",
    "Telemetry",
    "TelemetryConfig",
    "build_async_client",
    "build_client",
    "call_context",
    "capture_span",
    "configure_telemetry",
    "consume_stream",
    "content_capture_mode",
    "run_chat",
    "token_provider",
]
