"""aoai_client.sse: the telemetry splits a stream into the events the openai client reads."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from openai._streaming import SSEDecoder

from aoai_client.sse import Event, EventDecoder

LINES = st.sampled_from(
    [
        "",
        'data: {"choices":[]}',
        "data:{}",
        "data: [DONE]",
        "[DONE]",
        "data",
        "data: ",
        "event: message",
        "event:",
        ": keep-alive",
        "id: 7",
        "id: a\0b",
        "retry: 1000",
        "retry: soon",
        "unknown: field",
        "data: two\u00e9",
    ]
)


def split(data: bytes, sizes: list[int]) -> list[bytes]:
    chunks, start = [], 0
    for size in sizes:
        if start < len(data):
            chunks.append(data[start : start + size])
            start += size
    return [*chunks, data[start:]] if start < len(data) else chunks


def decode_all(chunks: list[bytes]) -> tuple[list[Event], EventDecoder]:
    decoder = EventDecoder()
    return [event for chunk in chunks for event in decoder.feed(chunk)], decoder


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(LINES, max_size=12),
    ending=st.sampled_from(["\n", "\r\n", "\r"]),
    last_ended=st.booleans(),
    sizes=st.lists(st.integers(1, 9), max_size=12),
)
def test_events_are_the_ones_the_openai_client_reads(
    lines: list[str], ending: str, last_ended: bool, sizes: list[int]
) -> None:
    text = ending.join(lines) + (ending if last_ended else "")
    chunks = split(text.encode(), sizes)
    theirs = [(e.event, e.data) for e in SSEDecoder().iter_bytes(iter(chunks))]
    ours, _ = decode_all(chunks)
    assert [(e.event, e.data) for e in ours] == theirs


def test_a_crlf_split_between_two_chunks_is_one_line_end() -> None:
    events, decoder = decode_all([b"data: a\r", b"\n\r", b"\ndata: b\r\n\r\n"])
    assert events == [Event("a"), Event("b")]
    assert not decoder.open_event


def test_a_done_line_without_data_is_noticed_and_not_an_event() -> None:
    events, decoder = decode_all([b'data: {"a":1}\n\n[DONE]\n\n'])
    assert events == [Event('{"a":1}')]
    assert decoder.bare_done


def test_an_event_without_its_blank_line_stays_open_at_the_end() -> None:
    events, decoder = decode_all([b"data: 1\n\ndata: 2\n"])
    assert events == [Event("1")]
    assert decoder.open_event
