"""A real producer with Microsoft's ``azure-ai-inference`` SDK and its
``AIInferenceInstrumentor``: the GenAI span names no deployment (its request model is
``chat`` when the caller passes none); the deployment is only in its child HTTP span's
URL. A ``SimpleSpanProcessor`` exports each span in a request of its own, the child first.
Run as its own process:

    python -m tests.producers.ai_inference_calls LENS_URL AZURE_ENDPOINT DEPLOYMENT COUNT
"""

from __future__ import annotations

import os
import sys

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor


def main(lens_url: str, endpoint: str, deployment: str, count: int) -> None:
    os.environ["AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED"] = "false"
    provider = TracerProvider(resource=Resource.create({"service.name": "inference-app"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(f"{lens_url}/v1/traces")))
    trace.set_tracer_provider(provider)
    from azure.ai.inference import ChatCompletionsClient
    from azure.ai.inference.tracing import AIInferenceInstrumentor
    from azure.core.credentials import AzureKeyCredential
    from azure.core.settings import settings

    settings.tracing_implementation = "opentelemetry"
    AIInferenceInstrumentor().instrument()
    client = ChatCompletionsClient(
        endpoint=f"{endpoint}/openai/deployments/{deployment}",
        credential=AzureKeyCredential("any"),
        api_version="2024-10-21",
    )
    for _ in range(count):
        client.complete(messages=[{"role": "user", "content": "Which deployment served me?"}])
    provider.shutdown()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
