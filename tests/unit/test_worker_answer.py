"""An ingest worker's answer (``workers.flatten_body``): the span columns as one Arrow record
batch without its schema, read back by the server into the table ``flatten_request`` gives;
refusals as before; the garbage collector, paused while the worker decodes, as it was."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from collectors.otlp import synthetic
from collectors.otlp.decode import PROTOBUF, decode_raw_attributes_request
from collectors.otlp.flatten import SPAN_SCHEMA, flatten_request
from collectors.otlp.workers import (
    WorkerAnswer,
    WorkerCrashedError,
    _ipc,
    _table,
    flatten_body,
    flatten_spooled,
)
from tests.fixtures import otlp_spans as fx

MAX_BYTES = 16 * 1024 * 1024


def _answer(body: bytes) -> WorkerAnswer:
    return flatten_body(body, PROTOBUF, None, MAX_BYTES)


@pytest.fixture
def collecting() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_the_answer_reads_back_as_the_flattened_table() -> None:
    end = datetime(2026, 11, 30, tzinfo=UTC)
    (request,) = synthetic.export_requests(end - timedelta(hours=2), end, 300, 300)
    body = request.SerializeToString()
    answer = _answer(body)
    assert answer.refusal is None and answer.unreadable is None
    expected = flatten_request(decode_raw_attributes_request(body, PROTOBUF))
    flat = answer.flat()
    assert flat.spans.num_rows == 300  # every synthetic span is a model call
    assert flat.spans.schema == SPAN_SCHEMA
    assert flat.spans.to_pylist() == expected.spans.to_pylist()
    assert flat.not_genai == expected.not_genai == 0


def test_a_request_of_no_model_call_answers_no_rows_and_counts_the_spans() -> None:
    request = fx.make_request(fx.make_span({"http.method": "GET"}), fx.make_span({}))
    flat = _answer(request.SerializeToString()).flat()
    assert flat.spans.num_rows == 0
    assert flat.spans.schema == SPAN_SCHEMA
    assert flat.not_genai == 2
    empty = _answer(b"").flat()  # an empty body is an empty request
    assert (empty.spans.num_rows, empty.not_genai) == (0, 0)


def test_a_body_that_is_not_otlp_is_refused_with_its_reason() -> None:
    answer = _answer(b"\x0a\x05nope")
    assert answer.spans is None
    assert answer.refusal is not None
    status, reason = answer.refusal
    assert status == 400
    assert reason.startswith("body is not a valid protobuf ExportTraceServiceRequest")
    with pytest.raises(ValueError, match="refused"):
        answer.flat()


@pytest.mark.usefixtures("collecting")
def test_the_garbage_collector_is_left_as_it_was() -> None:
    body = fx.make_request(fx.make_span(fx.OURS_FILTERED_COMPLETION)).SerializeToString()
    _answer(body)
    assert gc.isenabled()
    _answer(b"\x0a\x05nope")  # a refusal too
    assert gc.isenabled()
    gc.disable()
    _answer(body)
    assert not gc.isenabled()


def test_the_answer_is_one_record_batch_without_a_schema() -> None:
    body = fx.make_request(fx.make_span(fx.OURS_FILTERED_COMPLETION)).SerializeToString()
    data = _answer(body).spans
    assert data is not None
    batch = pa.ipc.read_record_batch(pa.py_buffer(data), SPAN_SCHEMA)
    assert batch.num_rows == 1
    with pytest.raises(OSError, match="Expected IPC message of type schema"):
        pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def test_a_table_of_several_chunks_is_answered_as_one_batch() -> None:
    body = fx.make_request(fx.make_span(fx.OURS_FILTERED_COMPLETION)).SerializeToString()
    one = flatten_request(decode_raw_attributes_request(body, PROTOBUF)).spans
    table = pa.concat_tables([one, one, one])
    assert table.column("kept").num_chunks == 3
    back = _table(_ipc(table))
    assert back.num_rows == 3
    assert back.to_pylist() == table.to_pylist()


def test_a_spooled_body_that_is_gone_asks_for_the_request_again(tmp_path: Path) -> None:
    answer = flatten_spooled(str(tmp_path / "0.body"), PROTOBUF, None, MAX_BYTES)
    assert answer.refusal is None and answer.unreadable is None  # not the sender's fault
    with pytest.raises(WorkerCrashedError, match="did not reach a worker"):
        answer.flat()


def test_a_spooled_body_is_answered_by_a_spooled_answer(tmp_path: Path) -> None:
    body = fx.make_request(fx.make_span(fx.OURS_FILTERED_COMPLETION)).SerializeToString()
    spooled = tmp_path / "7.body"
    spooled.write_bytes(body)
    answer = flatten_spooled(str(spooled), PROTOBUF, None, MAX_BYTES)
    assert not spooled.exists()  # read and removed
    assert answer.spans is None and answer.spans_file == str(tmp_path / "7.spans")
    assert answer.flat().spans.to_pylist() == _answer(body).flat().spans.to_pylist()
    assert list(tmp_path.iterdir()) == []  # the answer's file removed once read
    refused = tmp_path / "8.body"
    refused.write_bytes(b"\x0a\x05nope")
    assert flatten_spooled(str(refused), PROTOBUF, None, MAX_BYTES).refusal is not None
    assert list(tmp_path.iterdir()) == []
