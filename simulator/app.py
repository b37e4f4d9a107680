"""The simulator's HTTP face: routes, authentication, headers, latency, streaming, the
regional resources and their faults.

Served under ``/simulator`` by the lens server (``AzureOpenAI(azure_endpoint=
"http://HOST:PORT/simulator")``, or ``.../simulator/<region>`` for a regional resource) or
at the root by ``aoai-lens simulator --port N``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from azure_openai_wire import bodies, errors, headers, sse
from simulator import answers
from simulator.config import DEFAULT_RESOURCE, SimulatedDeployment, SimulatorConfig
from simulator.content_safety import (
    Verdicts,
    blocked_prompt_result,
    completion_filter_results,
    judge_prompt,
    prompt_filter_results,
)
from simulator.faults import (
    DEFAULT_THROTTLE_RETRY_AFTER_S,
    FaultBoard,
    admin_routes,
    fault_answer,
)
from simulator.ratelimit import Admission, MinuteWindow

_ESTIMATED_OUTPUT = 1000  # tokens counted against TPM for a request without max_tokens


class Simulator:
    """State of one simulated resource: rate windows and the prefixes seen (prompt cache).

    ``resource`` names it on the fault board; ``region`` (a regional resource's) is the
    ``x-ms-region`` of all its answers, else each deployment's own region is."""

    def __init__(
        self,
        config: SimulatorConfig,
        board: FaultBoard | None = None,
        resource: str = DEFAULT_RESOURCE,
        region: str | None = None,
    ) -> None:
        self.config = config
        self.board = board or FaultBoard(config.resources, config.faults)
        self.resource, self.region = resource, region
        self.windows = {d.name: MinuteWindow(d.tpm, d.rpm) for d in config.deployments}
        self.cached_prefixes: set[tuple[str, int]] = set()
        self.sequence = itertools.count(1)
        self.blocked = itertools.count()  # blocked prompts so far: they alternate spellings

    async def chat(self, request: Request) -> Response:
        return self._regional(await self._chat(request))

    async def embeddings(self, request: Request) -> Response:
        return self._regional(await self._embeddings(request))

    def _regional(self, response: Response) -> Response:
        if self.region:
            response.headers[headers.REGION] = self.region
        return response

    async def _fault(self, request: Request, operation: str) -> Response | None:
        """A faulty resource's 503 or 429, or None after a slow resource's delay."""
        fault = self.board.get(self.resource)
        if fault is None:
            return None
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay_ms / 1000)
            return None
        api_version = request.query_params.get("api-version", "")
        return fault_answer(fault, operation, api_version, self.region)

    async def _chat(self, request: Request) -> Response:
        faulty = await self._fault(request, "ChatCompletions_Create")
        if faulty is not None:
            return faulty
        checked = await self._check(request, "chat")
        if isinstance(checked, Response):
            return checked
        deployment, body, api_version = checked
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error(400, errors.error_body("BadRequest", "'messages' is a required property"))
        for name, low, high in (("temperature", 0, 2), ("top_p", 0, 1)):
            value = body.get(name)
            if value is not None and not (isinstance(value, int | float) and low <= value <= high):
                message = f"Invalid value for '{name}': {value!r}"
                return _error(400, errors.error_body(None, message, param=name))
        text = answers.message_text(_last_user(messages).get("content"))
        prompt = answers.prompt_tokens(messages)
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
        max_tokens = max_tokens if isinstance(max_tokens, int) and max_tokens > 0 else None
        estimate = prompt + (max_tokens or _ESTIMATED_OUTPUT)
        admission = self._admit(deployment, estimate)
        if self._saturated(deployment):
            admission = Admission(False, 0, 0, DEFAULT_THROTTLE_RETRY_AFTER_S, "token")
        spilled_from: str | None = None
        if not admission.admitted:
            spill = self._spillover(request, deployment, estimate)
            if spill is None:
                return _throttled("ChatCompletions_Create", api_version, admission)
            spilled_from, (deployment, admission) = deployment.name, spill
        limits = _limit_headers(deployment, admission)
        if spilled_from is not None:
            limits[headers.SPILLOVER_FROM_DEPLOYMENT] = spilled_from
        verdicts = judge_prompt(text)
        if verdicts.blocked:
            spec_spelling = next(self.blocked) % 2 == 1
            blocked = errors.blocked_prompt_body(
                blocked_prompt_result(verdicts), spec_spelling=spec_spelling
            )
            await self._sleep(deployment.ttft_ms)
            return JSONResponse(blocked, status_code=400, headers=limits)
        completion = self._completion(deployment, messages, text, prompt, max_tokens, verdicts)
        completion = replace(completion, service_tier=self._tier(body, deployment, admission))
        if body.get("stream") is True:
            options = body.get("stream_options") or {}
            include_usage = isinstance(options, dict) and options.get("include_usage") is True
            return StreamingResponse(
                self._stream(deployment, completion, include_usage),
                media_type="text/event-stream; charset=utf-8",
                headers=limits,
            )
        words = len(completion.pieces)
        await self._sleep(deployment.ttft_ms + words * deployment.ms_per_token)
        return JSONResponse(bodies.chat_completion_body(completion), headers=limits)

    async def _embeddings(self, request: Request) -> Response:
        faulty = await self._fault(request, "Embeddings_Create")
        if faulty is not None:
            return faulty
        checked = await self._check(request, "embeddings")
        if isinstance(checked, Response):
            return checked
        deployment, body, api_version = checked
        raw = body.get("input")
        inputs: list[Any]
        if isinstance(raw, str) or (isinstance(raw, list) and raw and isinstance(raw[0], int)):
            inputs = [raw]
        elif isinstance(raw, list) and raw:
            inputs = list(raw)
        else:
            return _error(400, errors.error_body("BadRequest", "'input' is a required property"))
        tokens = sum(answers.count_tokens(i) if isinstance(i, str) else len(i) for i in inputs)
        admission = self._admit(deployment, tokens)
        if not admission.admitted:
            return _throttled("Embeddings_Create", api_version, admission)
        dimensions = body.get("dimensions") if isinstance(body.get("dimensions"), int) else None
        as_base64 = body.get("encoding_format") == "base64"
        vectors = answers.embedding_vectors(deployment.model, inputs, dimensions)
        answer = bodies.embeddings_body(
            deployment.model, vectors, as_base64=as_base64, prompt_tokens=tokens
        )
        await self._sleep(deployment.ttft_ms)
        return JSONResponse(answer, headers=_limit_headers(deployment, admission))

    def _saturated(self, deployment: SimulatedDeployment) -> bool:
        fault = self.board.get(self.resource)
        return fault is not None and fault.kind == "saturated" and deployment.provisioned

    def _spillover(
        self, request: Request, deployment: SimulatedDeployment, tokens: int
    ) -> tuple[SimulatedDeployment, Admission] | None:
        """A provisioned deployment's refused call served by the standard deployment the
        request names in ``x-ms-spillover-deployment``, when that one admits it."""
        name = request.headers.get(headers.SPILLOVER_DEPLOYMENT)
        target = self.config.deployment(name) if name and deployment.provisioned else None
        if target is None or target.embeddings or target.provisioned:
            return None
        admission = self._admit(target, tokens)
        return (target, admission) if admission.admitted else None

    def _tier(
        self, body: dict[str, Any], deployment: SimulatedDeployment, admission: Admission
    ) -> str:
        """The tier that serves the call: ``priority`` when asked for, unless Priority
        capacity is used up (a ``downgrade`` fault, or the deployment past 90 % of its
        minute's tokens), then ``default``; ``flex`` when asked for; else ``default``."""
        asked = body.get(bodies.SERVICE_TIER)
        if asked == "flex":
            return "flex"
        if asked != "priority":
            return "default"
        fault = self.board.get(self.resource)
        busy = admission.remaining_tokens < deployment.tpm // 10 and self.config.rate_limits
        downgraded = fault is not None and fault.kind == "downgrade"
        return "default" if busy or downgraded else "priority"

    def _admit(self, deployment: SimulatedDeployment, tokens: int) -> Admission:
        if not self.config.rate_limits:
            return Admission(True, deployment.tpm, deployment.rpm)
        return self.windows[deployment.name].admit(tokens)

    async def _check(
        self, request: Request, operation: str
    ) -> Response | tuple[SimulatedDeployment, dict[str, Any], str]:
        """Route, api-version, key, deployment and body, in the order Azure checks them."""
        api_version = request.query_params.get("api-version", "")
        if not api_version:
            return _error(404, errors.not_found_body())
        auth = request.headers.get("authorization", "")
        if not request.headers.get("api-key") and not auth.startswith("Bearer "):
            return _error(401, errors.unauthorized_body())
        deployment = self.config.deployment(request.path_params["deployment"])
        if deployment is None or deployment.embeddings != (operation == "embeddings"):
            return _error(404, errors.deployment_not_found_body())
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error(
                400, errors.error_body("BadRequest", "The request body is not valid JSON.")
            )
        return deployment, body, api_version

    def _completion(
        self,
        deployment: SimulatedDeployment,
        messages: list[Any],
        text: str,
        prompt: int,
        max_tokens: int | None,
        verdicts: Verdicts,
    ) -> bodies.ChatAnswer:
        number = next(self.sequence)
        seed = answers.seed_of(deployment.name, text, number)
        length, finish = answers.answer_length(seed, text, max_tokens)
        reasoning = 0
        if deployment.reasoning:
            reasoning = min(64 * (1 + seed % 12), max(0, (max_tokens or 10**9) - length))
        words = answers.answer_words(seed, length)
        if verdicts.protected_text:
            words, finish = words[: max(1, len(words) // 3)], "content_filter"
        cached = self._cached_tokens(deployment, messages, prompt)
        return bodies.ChatAnswer(
            response_id=f"chatcmpl-{uuid.uuid4().hex[:29]}",
            created=int(time.time()),
            model=deployment.model,
            pieces=answers.answer_pieces(words),
            finish_reason=finish,
            prompt_filter=prompt_filter_results(verdicts),
            choice_filter=completion_filter_results(verdicts, cut=finish == "content_filter"),
            usage=bodies.usage(prompt, len(words) + reasoning, cached, reasoning),
            system_fingerprint=answers.SYSTEM_FINGERPRINT,
        )

    def _cached_tokens(
        self, deployment: SimulatedDeployment, messages: list[Any], prompt: int
    ) -> int:
        """Prompt caching: a prefix of at least 1,024 tokens seen before on this deployment
        is read from cache, in steps of 128 tokens."""
        prefix = messages[:-1]
        prefix_tokens = answers.prompt_tokens(prefix) if prefix else 0
        if prefix_tokens < 1024:
            return 0
        key = (deployment.name, answers.seed_of(json.dumps(prefix, sort_keys=True, default=str)))
        if key in self.cached_prefixes:
            return min(prompt, prefix_tokens // 128 * 128)
        self.cached_prefixes.add(key)
        return 0

    async def _stream(
        self, deployment: SimulatedDeployment, completion: bodies.ChatAnswer, include_usage: bool
    ) -> AsyncIterator[bytes]:
        await self._sleep(deployment.ttft_ms)
        for event in bodies.chat_completion_chunks(completion, include_usage=include_usage):
            yield sse.encode_event(event)
            if event["choices"] and event["choices"][0].get("delta", {}).get("content"):
                await self._sleep(deployment.ms_per_token)
        yield sse.DONE_EVENT

    async def _sleep(self, ms: float) -> None:
        seconds = ms * self.config.latency_scale / 1000
        if seconds > 0:
            await asyncio.sleep(seconds)


def _last_user(messages: list[Any]) -> dict[str, Any]:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return message
    return {}


def _error(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def _limit_headers(deployment: SimulatedDeployment, admission: Admission) -> dict[str, str]:
    return {
        headers.REGION: deployment.region,
        headers.DEPLOYMENT_NAME: deployment.name,
        **headers.rate_limit_headers(admission.remaining_requests, admission.remaining_tokens),
    }


def _throttled(operation: str, api_version: str, admission: Admission) -> JSONResponse:
    seconds = admission.retry_after_s
    return JSONResponse(
        errors.throttled_body(operation, api_version, admission.limit, seconds),
        status_code=429,
        headers={
            **headers.retry_headers(seconds),
            **headers.rate_limit_headers(admission.remaining_requests, admission.remaining_tokens),
        },
    )


class _CommonHeaders:
    """ASGI middleware: the headers every Azure answer carries, and the simulator's mark."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client_id = dict(scope.get("headers") or []).get(headers.CLIENT_REQUEST_ID.encode())

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (headers.APIM_REQUEST_ID.encode(), str(uuid.uuid4()).encode()),
                    (headers.REQUEST_ID.encode(), str(uuid.uuid4()).encode()),
                    (headers.SIMULATED.encode(), b"1"),
                ]
                if client_id is not None:
                    extra.append((headers.CLIENT_REQUEST_ID.encode(), client_id))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def build_simulator_app(config: SimulatorConfig | None = None) -> Any:
    """The simulator as an ASGI app (Starlette inside the common-headers middleware): the
    default resource at the root, each region's under ``/<region>``, the admin route."""
    config = config or SimulatorConfig()
    board = FaultBoard(config.resources, config.faults)
    root = Simulator(config, board)
    regional = {
        region.name: Simulator(config, board, region.name, region.display_name)
        for region in config.regions
    }

    async def not_found(_: Request) -> Response:
        return _error(404, errors.not_found_body())

    def in_region(operation: str) -> Any:
        async def handle(request: Request) -> Response:
            simulator = regional.get(request.path_params["region"])
            if simulator is None:
                return await not_found(request)
            answer: Response = await getattr(simulator, operation)(request)
            return answer

        return handle

    chat, embeddings = (
        "/openai/deployments/{deployment}/chat/completions",
        ("/openai/deployments/{deployment}/embeddings"),
    )
    routes = [
        Route(chat, root.chat, methods=["POST"]),
        Route(embeddings, root.embeddings, methods=["POST"]),
        Route("/{region}" + chat, in_region("chat"), methods=["POST"]),
        Route("/{region}" + embeddings, in_region("embeddings"), methods=["POST"]),
        *admin_routes(board),
        Route("/{path:path}", not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]
    return _CommonHeaders(Starlette(routes=routes))
