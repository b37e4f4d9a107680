"""Files written by the OpenTelemetry Collector's file exporter (``format: json``).

JSON Lines: one OTLP/JSON ``ExportTraceServiceRequest`` (a ``TracesData`` object) per
line, UTF-8. This module only splits a file into its lines with their byte offsets,
so callers can show progress and name the line a problem is on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ExportLine:
    path: Path
    number: int  # 1-based
    end_offset: int  # bytes read so far, for progress
    body: bytes


def read_export_lines(path: Path) -> Iterator[ExportLine]:
    """Yield the non-blank lines of a file-exporter file."""
    offset = 0
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            offset += len(line)
            stripped = line.strip()
            if stripped:
                yield ExportLine(path, number, offset, stripped)
