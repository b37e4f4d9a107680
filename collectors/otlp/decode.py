"""OTLP/HTTP request bodies -> ``ExportTraceServiceRequest``.

Knows the wire format only (OTLP specification, "OTLP/HTTP"): protobuf or JSON
bodies, optionally gzip/deflate-compressed. OTLP/JSON differs from protobuf's JSON
mapping: trace and span ids are hex strings, not base64, so ids are rewritten before
``ParseDict``. Every problem raises ``BadPayloadError`` with the HTTP status to answer.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Callable
from typing import Any, Final

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from collectors.otlp import raw_attributes
from lens_errors import BadInputError

PROTOBUF: Final = "application/x-protobuf"
JSON: Final = "application/json"
MEDIA_TYPES: Final = (PROTOBUF, JSON)
DEFAULT_MAX_BODY_BYTES: Final = 16 * 1024 * 1024  # decompressed

_ID_BYTES: Final = {"traceId": 16, "spanId": 8, "parentSpanId": 8}


class BadPayloadError(BadInputError, ValueError):
    """A request body that cannot be accepted: permanent, never retried by the sender."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def media_type(content_type: str | None) -> str:
    """The bare media type of a Content-Type header (parameters dropped, lower case)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def decompress(body: bytes, content_encoding: str | None, max_bytes: int) -> bytes:
    """Undo Content-Encoding, refusing output over ``max_bytes`` (a compression bomb)."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        if len(body) > max_bytes:
            raise BadPayloadError(f"body is {len(body)} bytes; the limit is {max_bytes}", 413)
        return body
    if encoding == "gzip":
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        inflater = zlib.decompressobj()
    else:
        raise BadPayloadError(
            f"Content-Encoding {encoding!r} is not supported; use gzip, deflate or none", 415
        )
    try:
        out = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise BadPayloadError(f"body is not valid {encoding} data: {exc}") from None
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise BadPayloadError(f"decompressed body exceeds the limit of {max_bytes} bytes", 413)
    if not inflater.eof:
        raise BadPayloadError(f"{encoding} body is truncated")
    return out


def decode_export_request(
    body: bytes,
    content_type: str | None,
    content_encoding: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> ExportTraceServiceRequest:
    """Decode one OTLP/HTTP trace export body, checking every id's length."""
    raw = _body(body, content_type, content_encoding, max_bytes)
    request: ExportTraceServiceRequest
    if media_type(content_type) == PROTOBUF:
        request = _parse_protobuf(raw, ExportTraceServiceRequest.FromString)
    else:
        request = parse_json_request(raw)
    check_ids(request)
    return request


def decode_raw_attributes_request(
    body: bytes,
    content_type: str | None,
    content_encoding: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> Any:
    """As ``decode_export_request``, into the definition whose span attributes stay bytes
    (``raw_attributes``): what ``flatten_request`` reads fastest. A JSON body is parsed as
    before and converted."""
    raw = _body(body, content_type, content_encoding, max_bytes)
    if media_type(content_type) == PROTOBUF:
        request = _parse_protobuf(raw, raw_attributes.parse_request)
    else:
        request = raw_attributes.from_published(parse_json_request(raw))
    check_ids(request)
    return request


def _body(
    body: bytes, content_type: str | None, content_encoding: str | None, max_bytes: int
) -> bytes:
    kind = media_type(content_type)
    if kind not in MEDIA_TYPES:
        raise BadPayloadError(
            f"Content-Type {kind or '(none)'!r} is not supported; send {PROTOBUF} or {JSON}",
            415,
        )
    return decompress(body, content_encoding, max_bytes)


def _parse_protobuf(raw: bytes, parse: Callable[[bytes], Any]) -> Any:
    try:
        return parse(raw)
    except DecodeError as exc:
        raise BadPayloadError(
            f"body is not a valid protobuf ExportTraceServiceRequest: {exc}"
        ) from None


def parse_json_request(raw: bytes | str) -> ExportTraceServiceRequest:
    """Parse OTLP/JSON (hex ids, lowerCamelCase keys, unknown fields ignored)."""
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadPayloadError(f"body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadPayloadError("body is JSON nested too deeply to be an OTLP request") from None
    if not isinstance(document, dict):
        raise BadPayloadError("body must be a JSON object with a 'resourceSpans' array")
    request = ExportTraceServiceRequest()
    try:
        _hex_ids_to_base64(document, "")
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except BadPayloadError:
        raise
    except (json_format.ParseError, ValueError, TypeError, OverflowError) as exc:
        raise BadPayloadError(f"body is not a valid OTLP/JSON trace request: {exc}") from None
    except RecursionError:
        raise BadPayloadError("body is JSON nested too deeply to be an OTLP request") from None
    return request


def _hex_ids_to_base64(node: Any, where: str) -> None:
    """Rewrite OTLP/JSON hex ids in place into the base64 that ParseDict expects."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            _hex_ids_to_base64(item, f"{where}[{index}]")
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in _ID_BYTES and isinstance(value, str):
            try:
                raw = bytes.fromhex(value)
            except ValueError:
                raise BadPayloadError(f"{where}.{key} {value[:40]!r} is not hex") from None
            node[key] = base64.b64encode(raw).decode("ascii")
        elif isinstance(value, dict | list):
            _hex_ids_to_base64(value, f"{where}.{key}" if where else key)


def check_ids(request: Any) -> None:
    """Reject ids of the wrong length: trace 16 bytes, span 8, parent 8 or empty (in a
    request of either definition)."""
    no_trace, no_span = bytes(16), bytes(8)
    for r, resource_spans in enumerate(request.resource_spans):
        for s, scope_spans in enumerate(resource_spans.scope_spans):
            for i, span in enumerate(scope_spans.spans):
                trace_id, span_id = span.trace_id, span.span_id
                if (
                    len(trace_id) == 16
                    and len(span_id) == 8
                    and len(span.parent_span_id) in (0, 8)
                    and trace_id != no_trace
                    and span_id != no_span
                ):
                    continue
                _bad_ids(span, f"resourceSpans[{r}].scopeSpans[{s}].spans[{i}]")


def _bad_ids(span: Any, where: str) -> None:
    """Raise the refusal of the first bad id of ``span``, which has one."""
    if len(span.trace_id) != 16 or span.trace_id == bytes(16):
        raise BadPayloadError(
            f"{where}.traceId must be 16 non-zero bytes, got {len(span.trace_id)}"
        )
    if len(span.span_id) != 8 or span.span_id == bytes(8):
        raise BadPayloadError(f"{where}.spanId must be 8 non-zero bytes, got {len(span.span_id)}")
    raise BadPayloadError(
        f"{where}.parentSpanId must be 8 bytes or empty, got {len(span.parent_span_id)}"
    )


def hex_id(raw: bytes) -> str:
    """Lower-case hex of an id, as trace tools show it."""
    return binascii.hexlify(raw).decode("ascii")
