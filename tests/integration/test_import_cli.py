"""`aoai-lens import` of Collector file-exporter output, through a running server or not."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from google.protobuf import json_format

from collectors.otlp.decode import hex_id
from collectors.otlp.synthetic import export_requests
from lens_harness.lens_process import LensServer

CLI = Path(sys.executable).with_name("aoai-lens")


def otlp_json_line(request: object) -> str:
    """One line as the Collector's file exporter writes it: OTLP/JSON with hex ids."""
    document = json_format.MessageToDict(request)  # type: ignore[arg-type]
    for resource_spans in document["resourceSpans"]:
        for scope_spans in resource_spans["scopeSpans"]:
            for span in scope_spans["spans"]:
                for key in ("traceId", "spanId"):
                    span[key] = hex_id(__import__("base64").b64decode(span[key]))
    return json.dumps(document)


def write_export_file(path: Path, batches: int, bad_line: bool = False) -> set[str]:
    end = datetime.now(UTC)
    ids: set[str] = set()
    lines = []
    for request in export_requests(end - timedelta(days=2), end, 100 * batches, batch_size=100):
        lines.append(otlp_json_line(request))
        ids |= {
            hex_id(s.trace_id) + hex_id(s.span_id)
            for rs in request.resource_spans
            for ss in rs.scope_spans
            for s in ss.spans
        }
    if bad_line:
        lines.insert(1, '{"resourceSpans": [')  # a truncated line
    path.write_text("\n".join(lines) + "\n\n")
    return ids


def stored_ids(db_path: Path) -> set[str]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return {row[0] for row in con.execute("SELECT call_id FROM calls").fetchall()}


def run_import(*args: str, env_db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), "import", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "LENS_DB": str(env_db), "LENS_PORT": "9"},
        check=False,
    )


def test_import_without_a_server_writes_the_file_itself(tmp_path: Path) -> None:
    ids = write_export_file(tmp_path / "traces.jsonl", batches=3)
    db = tmp_path / "lens.duckdb"
    result = run_import(str(tmp_path / "traces.jsonl"), env_db=db)
    assert result.returncode == 0, result.stderr
    assert "writing" in result.stderr and "300 calls stored" in result.stderr
    assert stored_ids(db) == ids

    again = run_import(str(tmp_path / "traces.jsonl"), env_db=db)  # re-import: no doubles
    assert again.returncode == 0, again.stderr
    assert "0 calls stored, 300 already present" in again.stderr
    assert stored_ids(db) == ids


def test_bad_line_is_named_and_the_rest_imported(tmp_path: Path) -> None:
    ids = write_export_file(tmp_path / "traces.jsonl", batches=2, bad_line=True)
    db = tmp_path / "lens.duckdb"
    result = run_import(str(tmp_path / "traces.jsonl"), env_db=db)
    assert result.returncode == 2  # some line was bad
    assert "traces.jsonl:2" in result.stderr and "not valid JSON" in result.stderr
    assert "1 bad lines" in result.stderr  # the summary counts it
    assert stored_ids(db) == ids


def test_import_goes_through_a_running_server(tmp_path: Path) -> None:
    ids = write_export_file(tmp_path / "traces.jsonl", batches=4)
    server = LensServer(tmp_path / "lens.duckdb", tmp_path / "server.log").start()
    try:
        # The server holds the file: the import must not open it, only POST to the server.
        result = run_import(
            str(tmp_path / "traces.jsonl"), "--url", server.url, env_db=tmp_path / "x"
        )
        assert result.returncode == 0, result.stderr
        assert f"running lens server at {server.url}" in result.stderr
        assert "400 calls accepted by the server" in result.stderr
        assert server.health()["calls"] == 400
        assert server.health()["otlp"]["requests"] == 4  # type: ignore[index]
    finally:
        server.stop()
    assert stored_ids(server.db_path) == ids
    assert not (tmp_path / "x").exists()
