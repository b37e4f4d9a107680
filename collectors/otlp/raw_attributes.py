"""OTLP trace requests whose span attributes stay raw bytes, and one attribute decoded.

``ExportTraceServiceRequest`` is the published definition with one field changed:
``Span.attributes`` is ``repeated bytes`` instead of ``repeated KeyValue``. Both are field 9,
length-delimited, so the wire is the same and a body parses into either; this one hands each
attribute over as the bytes of its ``KeyValue``, which costs one bytes object instead of two
messages and a ``WhichOneof``, and lets the flattener learn an attribute seen before by its
bytes alone (decision 0028). Every other field keeps its published type, so parsing checks
what it checked before; an attribute's bytes are checked when ``key_value`` reads them.

The definition is built at import from the installed ``opentelemetry-proto`` descriptors in
a private pool (same names, so errors read as before): there is no generated file to keep
in step with the published one.
"""

from __future__ import annotations

import base64
import struct
from typing import Any, Final

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import FileDescriptor
from google.protobuf.message import Message
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

_REQUEST: Final = "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest"
_DOUBLE: Final = struct.Struct("<d")
_KEY_TAG: Final = 0x0A  # KeyValue.key: field 1, length-delimited
_VALUE_TAG: Final = 0x12  # KeyValue.value: field 2, length-delimited
# AnyValue's scalar fields: string_value 1 (length-delimited), bool_value 2 and int_value 3
# (varint), double_value 4 (fixed64).
_STRING_TAG: Final = 0x0A
_BOOL_TAG: Final = 0x10
_INT_TAG: Final = 0x18
_DOUBLE_TAG: Final = 0x21
_SCALAR_KINDS: Final = frozenset({"string_value", "int_value", "bool_value", "double_value"})


def _files(file: FileDescriptor, out: list[FileDescriptor]) -> list[FileDescriptor]:
    """``file`` and what it imports, each after its imports."""
    for dependency in file.dependencies:
        _files(dependency, out)
    if all(each.name != file.name for each in out):
        out.append(file)
    return out


def _request_class() -> type[Message]:
    pool = descriptor_pool.DescriptorPool()
    for file in _files(trace_service_pb2.DESCRIPTOR, []):
        proto = descriptor_pb2.FileDescriptorProto.FromString(file.serialized_pb)
        for message in proto.message_type:
            if message.name != "Span":
                continue
            (field,) = (each for each in message.field if each.name == "attributes")
            field.type = descriptor_pb2.FieldDescriptorProto.TYPE_BYTES
            field.ClearField("type_name")
        pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(_REQUEST))


ExportTraceServiceRequest: Final = _request_class()


# The class is built at run time: mypy sees its messages as Any.
def parse_request(raw: bytes) -> Any:
    """A protobuf body as the request with raw span attributes (raises ``DecodeError``)."""
    return ExportTraceServiceRequest.FromString(raw)


def from_published(request: Message) -> Any:
    """A request of the published definition (OTLP/JSON parses into it) as this one."""
    return ExportTraceServiceRequest.FromString(request.SerializeToString())


def key_value(raw: bytes) -> tuple[str, Any, bool]:
    """One attribute's ``KeyValue`` bytes as (key, value, nested), the value as
    ``any_value`` gives it and ``nested`` true unless it is a string, an int, a bool or a
    double. The usual encoding (key, then a value of one scalar field) is read here; any
    other goes to the published parser, which also raises ``DecodeError`` for bytes that
    are not a ``KeyValue``."""
    try:
        if raw[0] == _KEY_TAG and raw[1] < 0x80:  # the common case: a short key and value
            at = 2 + raw[1]
            end = len(raw)
            if raw[at] == _VALUE_TAG and raw[at + 1] < 0x80 and at + 2 + raw[at + 1] == end:
                tag = raw[at + 2]
                if tag == _STRING_TAG and raw[at + 3] < 0x80 and at + 4 + raw[at + 3] == end:
                    return raw[2:at].decode(), raw[at + 4 :].decode(), False  # a short string
                if tag == _DOUBLE_TAG and at + 11 == end:
                    return raw[2:at].decode(), _DOUBLE.unpack_from(raw, at + 3)[0], False
                if tag == _INT_TAG and at + 5 == end and raw[at + 3] >= 0x80 > raw[at + 4]:
                    return raw[2:at].decode(), raw[at + 3] & 0x7F | raw[at + 4] << 7, False
                found = _scalar(raw, at + 2)
                if found is not None:
                    return raw[2:at].decode(), found[0], False
        length, at = _varint(raw, 1) if raw[0] == _KEY_TAG else (-1, 0)
        if length >= 0 and raw[at + length] == _VALUE_TAG:
            key = raw[at : at + length].decode()
            size, start = _varint(raw, at + length + 1)
            if size > 0 and start + size == len(raw):
                found = _scalar(raw, start)
                if found is not None:
                    return key, found[0], False
    except (IndexError, UnicodeDecodeError):
        pass
    item = KeyValue.FromString(raw)
    kind = item.value.WhichOneof("value")
    if kind in _SCALAR_KINDS:
        return item.key, getattr(item.value, kind), False
    return item.key, any_value(item.value), True


def _scalar(raw: bytes, at: int) -> tuple[Any] | None:
    """The scalar AnyValue that fills ``raw[at:]`` exactly, as a 1-tuple; None otherwise."""
    tag = raw[at]
    if tag == _STRING_TAG:
        if raw[at + 1] < 0x80 and raw[at + 1] + at + 2 == len(raw):  # a short string
            return (raw[at + 2 :].decode(),)
        length, start = _varint(raw, at + 1)
        if start + length == len(raw):
            return (raw[start:].decode(),)
    elif tag in (_INT_TAG, _BOOL_TAG):
        if len(raw) == at + 2 and raw[at + 1] < 0x80:  # below 128
            number = raw[at + 1]
        elif len(raw) == at + 3 and raw[at + 1] >= 0x80 > raw[at + 2]:  # below 16,384
            number = raw[at + 1] & 0x7F | raw[at + 2] << 7
        else:
            number, end = _varint(raw, at + 1)
            if end != len(raw):
                return None
            number &= 0xFFFF_FFFF_FFFF_FFFF  # an int64 is its low 64 bits
            if number >= 1 << 63:
                number -= 1 << 64
        return (number != 0,) if tag == _BOOL_TAG else (number,)
    elif tag == _DOUBLE_TAG and at + 9 == len(raw):
        return (_DOUBLE.unpack_from(raw, at + 1)[0],)
    return None


def _varint(raw: bytes, at: int) -> tuple[int, int]:
    """The base-128 varint at ``raw[at]`` and where it ends; (-1, at) past 10 bytes."""
    byte = raw[at]
    if byte < 0x80:
        return byte, at + 1
    number = byte & 0x7F
    for shift in range(7, 70, 7):
        at += 1
        byte = raw[at]
        number |= (byte & 0x7F) << shift
        if byte < 0x80:
            return number, at + 1
    return -1, at


def any_value(value: AnyValue) -> Any:
    """An OTLP ``AnyValue`` as a JSON-serialisable Python value (bytes as base64)."""
    kind = value.WhichOneof("value")
    if kind in _SCALAR_KINDS:
        return getattr(value, kind)
    if kind == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {item.key: any_value(item.value) for item in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return None
