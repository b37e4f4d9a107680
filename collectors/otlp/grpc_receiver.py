"""OTLP/gRPC trace receiver: ``opentelemetry.proto.collector.trace.v1.TraceService/Export``
on its own port (``LENS_OTLP_GRPC_PORT``, 4317 by default, on the lens server's host).

A ``grpc.aio`` server on the lens server's event loop, beside the HTTP routes: each call is
a coroutine of that loop, and its CPU work (decode, flatten, normalise) runs in an ingest
worker process, as for OTLP/HTTP. After the message has arrived the path is OTLP/HTTP's own
(``ingest.OtlpIngest``: the same queue, cap on requests in progress, stop and
classification), and the answers are the same in gRPC terms:

- stored: ``ExportTraceServiceResponse``, with ``partial_success`` (rejected spans and
  the reasons) when spans are not model calls;
- bad input (an undecodable message, an impossible span): ``INVALID_ARGUMENT`` with the
  reason, quoting at most a short excerpt; nothing stored, never retried;
- queue full: ``RESOURCE_EXHAUSTED``; starting, stopping, too many requests at once, or a
  database that cannot be written: ``UNAVAILABLE``. Both carry a ``google.rpc.RetryInfo``
  with the wait the HTTP answer puts in ``Retry-After``: in the status details
  (``grpc-status-details-bin``, where the OTLP specification puts it) and as the trailer
  ``google.rpc.retryinfo-bin``, which the Python SDK's exporter reads.

gRPC itself decompresses (gzip, deflate) and refuses a message larger than the body limit,
after decompression, with ``RESOURCE_EXHAUSTED``; beyond ``max_concurrent`` calls at once
it answers ``RESOURCE_EXHAUSTED`` too, before reading them. The message is taken as bytes
rather than through ``trace_service_pb2_grpc``'s servicer: there the message is parsed
inside gRPC, and one that does not parse is answered ``INTERNAL``, not ``INVALID_ARGUMENT``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, NoReturn

import grpc
import grpc.aio
from google.protobuf.duration_pb2 import Duration
from google.rpc.error_details_pb2 import RetryInfo
from grpc_status import rpc_status
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from collectors.otlp.decode import PROTOBUF
from collectors.otlp.ingest import OtlpIngest, Outcome, ReceiverCounts

log = logging.getLogger(__name__)

SERVICE: Final = trace_service_pb2.DESCRIPTOR.services_by_name["TraceService"].full_name
METHOD: Final = f"/{SERVICE}/Export"
# The trailer the Python SDK's OTLP/gRPC exporter reads its wait from.
RETRY_INFO_TRAILER: Final = "google.rpc.retryinfo-bin"


# Given the call's bearer token (None: none sent), why it may not export, as a gRPC status
# code and reason; None when it may. The lens server sets one when an access file is in force.
Authorize = Callable[[str | None], tuple[grpc.StatusCode, str] | None]


@dataclass(frozen=True)
class OtlpGrpcConfig:
    """Where and how much the OTLP/gRPC service takes (built by ``app/config.py``)."""

    host: str
    port: int
    max_message_bytes: int
    max_concurrent: int

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        return f"{host}:{self.port}"


class OtlpGrpcReceiver:
    """The OTLP/gRPC trace service, sharing ``ingest`` with the OTLP/HTTP receiver.

    ``start`` never fails the lens server: a port it cannot listen on is logged and shown
    in ``status()`` (and so in /healthz), and OTLP/HTTP goes on.
    """

    def __init__(self, ingest: OtlpIngest) -> None:
        self._ingest = ingest
        self.counts = ReceiverCounts()
        self._server: grpc.aio.Server | None = None
        self._port = 0
        self._problem: str | None = "not started"
        self.authorize: Authorize | None = None

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def start(self, config: OtlpGrpcConfig | None) -> bool:
        """Listen on ``config``'s address (None: OTLP/gRPC is off). True when listening."""
        if config is None:
            self._port, self._problem = 0, "off (LENS_OTLP_GRPC_PORT=0)"
            log.info("OTLP/gRPC is off (LENS_OTLP_GRPC_PORT=0)")
            return False
        self._port = config.port
        handler = grpc.method_handlers_generic_handler(
            SERVICE, {"Export": grpc.unary_unary_rpc_method_handler(self._export)}
        )
        server = grpc.aio.server(
            handlers=[handler],
            options=[
                ("grpc.max_receive_message_length", config.max_message_bytes),
                # Without this a second server binds the same port and takes half the calls.
                ("grpc.so_reuseport", 0),
            ],
            maximum_concurrent_rpcs=config.max_concurrent,
        )
        try:
            bound = server.add_insecure_port(config.address)
        except RuntimeError:
            bound = 0
        if not bound:
            await server.stop(None)
            self._problem = (
                f"cannot listen on {config.address}: another process may hold the port; set "
                "LENS_OTLP_GRPC_PORT to a free port, or 0 to turn OTLP/gRPC off"
            )
            log.warning("OTLP/gRPC is off: %s (OTLP/HTTP on /v1/traces still works)", self._problem)
            return False
        await server.start()
        self._server, self._problem = server, None
        log.info("OTLP/gRPC listening on %s", config.address)
        return True

    async def stop(self, grace_s: float = 1.0) -> None:
        """Stop listening; calls still running after ``grace_s`` are cancelled."""
        server, self._server = self._server, None
        if server is not None:
            self._problem = "stopped"
            await server.stop(grace_s)

    def status(self) -> dict[str, object]:
        """What /healthz shows: the port, whether it listens and why not, and the counts."""
        return {
            "port": self._port,
            "listening": self.listening,
            "problem": self._problem,
            **self.counts.as_dict(),
            "in_progress": self.counts.in_progress,
        }

    async def _export(self, body: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        authorize = self.authorize
        if authorize is not None:
            denied = authorize(_bearer_token(context))
            if denied is not None:
                await context.abort(*denied)
        refusal = self._ingest.admit(self.counts)
        if refusal is not None:
            await _abort(context, refusal)
        try:
            outcome = await self._ingest.store(self.counts, body, PROTOBUF, None)
        finally:
            self._ingest.release(self.counts)
        if not outcome.accepted:
            await _abort(context, outcome)
        return outcome.response().SerializeToString()


def _bearer_token(context: grpc.aio.ServicerContext[bytes, bytes]) -> str | None:
    """The token of an ``authorization: Bearer ...`` metadata entry, or None."""
    for key, value in context.invocation_metadata() or ():
        if key.lower() == "authorization" and isinstance(value, str):
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


async def _abort(context: grpc.aio.ServicerContext[bytes, bytes], outcome: Outcome) -> NoReturn:
    """End the call with the outcome's code and reason, and the wait when there is one."""
    status = outcome.status_message()
    trailers: list[tuple[str, bytes]] = []
    if outcome.retry_after_s is not None:
        retry = RetryInfo(retry_delay=Duration(seconds=outcome.retry_after_s))
        status.details.add().Pack(retry)
        trailers.append((RETRY_INFO_TRAILER, retry.SerializeToString()))
    answer = rpc_status.to_status(status)
    await context.abort(answer.code, answer.details, (*answer.trailing_metadata, *trailers))
