"""How a CLI verb that went through the server reports the server's refusal: the route's
``{"error", "hint"}``, or, for an answer that is not that JSON (a proxy's HTML page), its
status and first characters; exit 1 either way, never a traceback."""

from __future__ import annotations

import httpx
import pytest

from app.cli.ledger import exit_on_route_error


def test_a_routes_error_and_hint_are_printed(capsys: pytest.CaptureFixture[str]) -> None:
    answer = httpx.Response(400, json={"error": "bad since: 3x", "hint": "pass since=30d"})
    with pytest.raises(SystemExit) as stopped:
        exit_on_route_error(answer)
    assert stopped.value.code == 1
    printed = capsys.readouterr().err
    assert "bad since: 3x" in printed and "pass since=30d" in printed


def test_an_answer_that_is_not_json_is_named_by_status(capsys: pytest.CaptureFixture[str]) -> None:
    answer = httpx.Response(502, text="<html>" + "Bad gateway " * 100 + "</html>")
    with pytest.raises(SystemExit) as stopped:
        exit_on_route_error(answer)
    assert stopped.value.code == 1
    printed = capsys.readouterr().err
    assert "HTTP 502: <html>Bad gateway" in printed
    assert len(printed) < 400  # an excerpt, not the whole page


def test_a_200_passes() -> None:
    exit_on_route_error(httpx.Response(200, json={}))
