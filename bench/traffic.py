"""Traffic benchmark: the instrumented client's cost per call, and the simulator's speed.

Run with ``make bench``. The simulator runs in its own process (``aoai-lens simulator
--latency-scale 0 --no-limits``: no simulated delays or throttling, so only real work is
timed). Prints:
- per-call time of N sequential non-streaming chat calls with the bare ``openai.AzureOpenAI``
  and with the instrumented client (OpenAI instrumentation + Azure transport + a batch span
  processor), alternating blocks in the same run, and the difference (target < 1 ms);
- the simulator's sustained non-streaming calls/s from concurrent asyncio senders
  (target >= 500/s).
The machine's cores are shared with the client, so the figures are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import time
from collections.abc import Sequence

import httpx
import httpx2
import openai
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from aoai_client import ClientConfig, TelemetryConfig, build_client, configure_telemetry
from lens_harness.lens_process import CLI, free_port

DEPLOYMENT = "gpt-4o-mini"
MESSAGES = [{"role": "user", "content": "Summarise the release notes in two lines."}]


class Discard(SpanExporter):
    """Spans are built, batched and handed over; nothing leaves the process."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def start_simulator() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [str(CLI), "simulator", "--port", str(port), "--latency-scale", "0", "--no-limits"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the simulator did not start")


def per_call_ms(client: openai.AzureOpenAI, calls: int) -> float:
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        client.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES)  # type: ignore[arg-type]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def overhead(url: str, calls: int, rounds: int) -> tuple[float, float]:
    # The same HTTP client setup as the instrumented one, without its transport wrapper.
    bare = openai.AzureOpenAI(
        azure_endpoint=url,
        api_key="k",
        api_version="2024-10-21",
        http_client=openai.DefaultHttpxClient(transport=httpx2.HTTPTransport()),
    )
    per_call_ms(bare, 50)  # warm up connections and code paths
    bare_ms, instrumented_ms = [], []
    for _ in range(rounds):
        bare_ms.append(per_call_ms(bare, calls))
        telemetry = configure_telemetry(TelemetryConfig(service_name="bench"))
        telemetry.add_span_processor(BatchSpanProcessor(Discard()))
        client = build_client(ClientConfig(endpoint=url, api_key="k"))
        per_call_ms(client, 20)
        instrumented_ms.append(per_call_ms(client, calls))
        telemetry.shutdown()
    return statistics.median(bare_ms), statistics.median(instrumented_ms)


async def throughput(url: str, seconds: float, senders: int) -> float:
    """Calls/s answered over ``senders`` keep-alive connections. The sender is raw asyncio
    HTTP/1.1 (a fixed request, reading each answer by its content-length), so the time
    measured is the simulator's, not a client library's."""
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps({"messages": MESSAGES}).encode()
    request = (
        f"POST /openai/deployments/{DEPLOYMENT}/chat/completions?api-version=2024-10-21 "
        f"HTTP/1.1\r\nhost: {host}\r\napi-key: k\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode() + body
    done = 0
    stop_at = time.perf_counter() + seconds

    async def sender() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection(host, int(port))
        while time.perf_counter() < stop_at:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), head[:200]
            length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            done += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(senders)))
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--senders", type=int, default=16)
    args = parser.parse_args()
    process, url = start_simulator()
    try:
        bare, instrumented = overhead(url, args.calls, args.rounds)
        print(f"per call, median of {args.rounds} rounds of {args.calls} sequential calls:")
        print(f"  bare openai.AzureOpenAI      {bare:7.3f} ms")
        print(f"  instrumented client          {instrumented:7.3f} ms")
        print(f"  instrumentation overhead     {instrumented - bare:7.3f} ms (target < 1 ms)")
        rate = asyncio.run(throughput(url, args.seconds, args.senders))
        print(f"simulator: {rate:,.0f} non-streaming calls/s over {args.senders} keep-alive "
              f"connections for {args.seconds:g} s (target >= 500/s)")  # fmt: skip
    finally:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    main()
