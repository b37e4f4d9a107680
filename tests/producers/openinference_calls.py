"""A real OpenInference producer: ``openinference-instrumentation-openai`` around an
``AzureOpenAI`` client, spans exported over OTLP/HTTP. Run as its own process (the
instrumentation patches the openai module for the whole process):

    python -m tests.producers.openinference_calls LENS_URL AZURE_ENDPOINT
"""

from __future__ import annotations

import sys

import openai
from openinference.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def main(lens_url: str, endpoint: str) -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": "phoenix-app"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(f"{lens_url}/v1/traces")))
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    client = openai.AzureOpenAI(azure_endpoint=endpoint, api_key="any", api_version="2024-10-21")
    messages = [{"role": "user", "content": "Summarise our costs"}]
    client.chat.completions.create(model="gpt-4o-prod", messages=messages)  # type: ignore[arg-type]
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=messages, stream=True,  # type: ignore[arg-type]
        stream_options={"include_usage": True},
    )  # fmt: skip
    for _ in stream:
        pass
    client.embeddings.create(model="embed-small", input="hello")
    provider.shutdown()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
