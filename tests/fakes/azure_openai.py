"""A local fake of the Azure OpenAI data plane: real HTTP on 127.0.0.1, in a thread.

Routes (the "deployments" API; the deployment name is in the path)::

    POST /openai/deployments/{deployment}/chat/completions?api-version=...
    POST /openai/deployments/{deployment}/embeddings?api-version=...

Where each response shape comes from:

- Chat completion 200: the 2024-10-21 REST specification (Azure/azure-rest-api-specs,
  ``specification/cognitiveservices/data-plane/AzureOpenAI/inference/stable/2024-10-21/
  inference.yaml``: ``createChatCompletionResponse``, ``contentFilterPromptResults``,
  ``contentFilterChoiceResults``) and the samples in azure-ai-docs
  ``concepts/content-filter-annotations.md``, ``how-to/prompt-caching.md`` (``usage.
  prompt_tokens_details.cached_tokens``) and ``how-to/reasoning.md`` (``usage.
  completion_tokens_details.reasoning_tokens``).
- Prompt blocked, 400: azure-ai-docs ``concepts/content-filter.md``. The wire spells the
  nested objects ``innererror`` and ``content_filter_result`` (singular), unlike the spec.
- Completion filtered, 200 with ``finish_reason: "content_filter"`` and no content:
  azure-ai-docs ``concepts/content-filter.md`` (scenario table).
- Streaming: azure-ai-docs ``concepts/content-filter-streaming.md``: the first event has an
  empty ``id``/``object``/``model``, ``created: 0``, no choices and the
  ``prompt_filter_results``; the usage event (``choices: []``) is sent only when the request
  has ``stream_options.include_usage: true`` (OpenAI API reference, "stream_options");
  then ``data: [DONE]``.
- Throttled, 429 with ``retry-after`` / ``retry-after-ms`` and ``"code": "429"`` as a string:
  azure-ai-docs ``how-to/quota.md``; the headers openai-python reads in
  ``_base_client._parse_retry_after_header``.
- Headers ``apim-request-id`` (REST specification), ``x-request-id``, ``x-ms-region``,
  ``x-ms-deployment-name`` (openai/openai-python issue #3271),
  ``x-ratelimit-remaining-requests`` / ``x-ratelimit-remaining-tokens``.
- 404 ``{"error": {"code": "404", "message": "Resource not found"}}`` for a request without
  ``api-version`` (MicrosoftDocs/azure-docs issue #114602); ``DeploymentNotFound`` for a
  deployment the resource does not have; 401 for a missing key.
- Embeddings: ``embeddings_create`` in the same specification; ``encoding_format: "base64"``
  (what openai-python asks for by default) is little-endian float32, base64-encoded.

The bodies are built in ``tests/fakes/azure_openai_wire.py``; this module is the HTTP
server, the routing, the headers and the request log.

What a chat request gets is chosen by the text of its last user message, so a test says what
it wants in the prompt itself: ``BLOCK``, ``THROTTLE``, ``FILTER_COMPLETION``, and, combinable
with the normal answer, ``CACHED`` and ``REASONING``.

Token counts are deterministic: one token per whitespace-separated word of every message's
text (``prompt_tokens``; for embeddings, of every input string, or one per integer of a
pre-tokenised input). The answer is ``REPLY``, 5 tokens. ``CACHED`` makes
``cached_tokens = prompt_tokens // 2``; ``REASONING`` adds ``REASONING_TOKENS`` to
``completion_tokens`` and reports them as ``reasoning_tokens``. A filtered completion stops
after ``FILTERED_AFTER_WORDS`` words.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from tests.fakes.azure_openai_wire import (
    BLOCKED_PROMPT_RESULT,
    CHAT_MODEL,
    EMBEDDING_MODEL,
    REASONING_TOKENS,
    REPLY,
    Answer,
    chat_answer,
    embeddings_answer,
    error,
)

__all__ = [
    "BLOCKED_PROMPT_RESULT",
    "CHAT_MODEL",
    "EMBEDDING_MODEL",
    "REASONING_TOKENS",
    "REGION",
    "REPLY",
    "FakeAzureOpenAI",
    "RecordedRequest",
]

REGION: Final = "Sweden Central"
REQUESTS_PER_MINUTE: Final = 1000
TOKENS_PER_MINUTE: Final = 150_000

_PATH: Final = re.compile(
    r"^/openai/deployments/(?P<deployment>[^/]+)/(?P<op>chat/completions|embeddings)$"
)
_UNAUTHORIZED: Final = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide "
    "a valid key for an active subscription and use a correct regional API endpoint for your "
    "resource."
)
_NO_DEPLOYMENT: Final = (
    "The API deployment for this resource does not exist. If you created the deployment "
    "within the last 5 minutes, please wait a moment and try again."
)


@dataclass
class RecordedRequest:
    """One request as received, and what the fake answered."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: Any  # the parsed JSON body, None if there was none
    deployment: str | None = None
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response: Any = None  # the JSON body, or the list of streamed event objects


class FakeAzureOpenAI:
    """``with FakeAzureOpenAI() as fake:`` serves on ``fake.url`` until the block ends.

    ``deployments`` limits the deployments the fake resource has (None: any name works).
    """

    def __init__(self, deployments: set[str] | None = None) -> None:
        self.deployments = deployments
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._sequence = 0
        self._used_requests: dict[str, int] = {}
        self._used_tokens: dict[str, int] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "the fake is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeAzureOpenAI:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-azure-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(10)
        self._server = self._thread = None

    def __enter__(self) -> FakeAzureOpenAI:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def requests_to(self, operation: str) -> list[RecordedRequest]:
        """The recorded requests whose path ends with ``operation`` (e.g. "embeddings")."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith(operation)]

    def answer(self, recorded: RecordedRequest) -> Answer:
        """Route one recorded request to the answer Azure would give."""
        match = _PATH.match(recorded.path)
        api_version = recorded.query.get("api-version", [""])[0]
        if recorded.method != "POST" or match is None or not api_version:
            return error(404, "404", "Resource not found")
        bearer = recorded.headers.get("authorization", "").startswith("Bearer ")
        if not recorded.headers.get("api-key") and not bearer:
            return error(401, "401", _UNAUTHORIZED)
        deployment = match["deployment"]
        if self.deployments is not None and deployment not in self.deployments:
            return error(404, "DeploymentNotFound", _NO_DEPLOYMENT)
        if not isinstance(recorded.body, dict):
            answer = error(400, "BadRequest", "The request body is not valid JSON.")
        elif match["op"] == "embeddings":
            answer = embeddings_answer(recorded.body)
        else:
            answer = chat_answer(recorded.body, api_version, self._next_id("chatcmpl"))
        remaining_requests, remaining_tokens = self._consume(deployment, answer.billed_tokens)
        answer.headers = {
            "x-ms-deployment-name": deployment,
            "x-ratelimit-remaining-requests": str(remaining_requests),
            "x-ratelimit-remaining-tokens": str(remaining_tokens),
            **answer.headers,
        }
        return answer

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            self._sequence += 1
            sequence = self._sequence
        digest = hashlib.sha256(f"{prefix}{sequence}".encode()).hexdigest()
        return f"{prefix}-{digest[:29]}"

    def _consume(self, deployment: str, tokens: int) -> tuple[int, int]:
        """Count one request and its tokens; the remaining requests and tokens this minute."""
        with self._lock:
            self._used_requests[deployment] = self._used_requests.get(deployment, 0) + 1
            self._used_tokens[deployment] = self._used_tokens.get(deployment, 0) + tokens
            return (
                max(REQUESTS_PER_MINUTE - self._used_requests[deployment], 0),
                max(TOKENS_PER_MINUTE - self._used_tokens[deployment], 0),
            )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeAzureOpenAI


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows what the tests assert, not an access log."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = None
        match = _PATH.match(parts.path)
        recorded = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            deployment=match["deployment"] if match else None,
        )
        fake = self.server.fake
        fake._record(recorded)
        self._send(recorded, fake.answer(recorded))

    def _send(self, recorded: RecordedRequest, answer: Answer) -> None:
        headers = {
            "apim-request-id": str(uuid.uuid4()),
            "x-request-id": str(uuid.uuid4()),
            "x-ms-region": REGION,
            **answer.headers,
        }
        if "x-ms-client-request-id" in recorded.headers:
            headers["x-ms-client-request-id"] = recorded.headers["x-ms-client-request-id"]
        recorded.status = answer.status
        recorded.response_headers = headers
        recorded.response = answer.events if answer.events is not None else answer.body
        self.send_response(answer.status)
        for name, value in headers.items():
            self.send_header(name, value)
        if answer.events is not None:
            self._send_events(answer.events)
            return
        payload = json.dumps(answer.body).encode()
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _send_events(self, events: list[dict[str, Any]]) -> None:
        """Server-sent events in HTTP/1.1 chunked encoding, one event per chunk."""
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for event in events:
            self._write_chunk(f"data: {json.dumps(event)}\n\n".encode())
        self._write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()
