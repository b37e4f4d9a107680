"""content_filter: Azure OpenAI filter JSON -> FilterResultRow, and the call's filter action."""

from __future__ import annotations

import json
from typing import Any

import pytest

from collectors import content_filter
from collectors.content_filter import (
    decide_filter_action,
    is_content_filter_error,
    merge_filter_rows,
    parse_choice_filter_results,
    parse_completion_filter_results,
    parse_error_filter_result,
    parse_prompt_filter_results,
)
from collectors.rows import FilterResultRow
from tests.fixtures.otlp_spans import (
    BLOCKED_PROMPT_ERROR,
    CHOICE_FILTER_RESULTS,
    PROMPT_FILTER_RESULTS,
)

CALL = "c1"


def row(
    target: str,
    idx: int,
    category: str,
    severity: str | None,
    filtered: bool,
    detected: bool | None,
    details: str | None = None,
    point: str | None = None,
) -> FilterResultRow:
    return FilterResultRow(
        CALL, target, idx, category, severity, filtered, detected, details, point
    )


def test_prompt_filter_results_of_a_normal_response_give_one_row_per_category() -> None:
    # Every category that ran, none filtered.
    assert parse_prompt_filter_results(PROMPT_FILTER_RESULTS, CALL) == [
        row("prompt", 0, "hate", "safe", False, None),
        row("prompt", 0, "sexual", "safe", False, None),
        row("prompt", 0, "violence", "safe", False, None),
        row("prompt", 0, "self_harm", "safe", False, None),
        row("prompt", 0, "jailbreak", None, False, False),
        row("prompt", 0, "indirect_attack", None, False, False),
        row("prompt", 0, "profanity", None, False, False),
        row("prompt", 0, "custom_blocklists", None, False, None),
    ]


def test_prompt_filter_results_accept_json_text() -> None:
    text = json.dumps(PROMPT_FILTER_RESULTS)
    assert parse_prompt_filter_results(text, CALL) == parse_prompt_filter_results(
        PROMPT_FILTER_RESULTS, CALL
    )


def test_choice_filter_results_keep_detection_and_name_each_blocklist() -> None:
    # Violence low, protected code detected with a citation.
    assert parse_choice_filter_results(0, CHOICE_FILTER_RESULTS, CALL) == [
        row("completion", 0, "hate", "safe", False, None),
        row("completion", 0, "sexual", "safe", False, None),
        row("completion", 0, "violence", "low", False, None),
        row("completion", 0, "self_harm", "safe", False, None),
        row("completion", 0, "profanity", None, False, False),
        row("completion", 0, "protected_material_text", None, False, False),
        row("completion", 0, "protected_material_code", None, False, True,
            '{"citation": {"URL": "https://github.com/username/repository-name/path/to/'
            'file-example.txt", "license": "EXAMPLE-LICENSE"}}'),
        row("completion", 0, "custom_blocklists:my-blocklist", None, False, None,
            '{"id": "my-blocklist"}'),
    ]  # fmt: skip


def test_completion_filter_results_list_uses_each_choice_index() -> None:
    value = [
        {"index": 1, "content_filter_results": {"hate": {"filtered": True, "severity": "high"}}},
        {"index": 0, "content_filter_results": {"sexual": {"filtered": False, "severity": "low"}}},
    ]
    assert parse_completion_filter_results(json.dumps(value), CALL) == [
        row("completion", 1, "hate", "high", True, None),
        row("completion", 0, "sexual", "low", False, None),
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {"error": BLOCKED_PROMPT_ERROR},
            [
                row("prompt", 0, "hate", "high", True, None),
                row("prompt", 0, "jailbreak", None, False, False),
                row("prompt", 0, "self_harm", "safe", False, None),
                row("prompt", 0, "sexual", "safe", False, None),
                row("prompt", 0, "violence", "medium", True, None),
            ],
            id="wire-innererror-content_filter_result",
        ),
        pytest.param(
            {
                "code": "content_filter",
                "inner_error": {
                    "content_filter_results": {"self-harm": {"filtered": True, "severity": "high"}}
                },
            },
            [row("prompt", 0, "self_harm", "high", True, None)],
            id="spec-inner_error-content_filter_results-and-hyphen",
        ),
        pytest.param(
            {
                "error": {
                    "code": "content_filter",
                    "innererror": {
                        "content_filter_result": {
                            "custom_blocklists": {
                                "details": [{"filtered": True, "id": "pizza"}],
                                "filtered": True,
                            }
                        }
                    },
                }
            },
            [row("prompt", 0, "custom_blocklists:pizza", None, True, None, '{"id": "pizza"}')],
            id="blocklist-variant",
        ),
        pytest.param({"error": {"code": "429", "message": "slow down"}}, [], id="rate-limit"),
        pytest.param("not json", [], id="not-json"),
        pytest.param(None, [], id="none"),
    ],
)
def test_error_filter_result_reads_every_spelling(body: Any, expected: list[Any]) -> None:
    assert parse_error_filter_result(body, CALL) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error": BLOCKED_PROMPT_ERROR}, True),
        (BLOCKED_PROMPT_ERROR, True),
        (json.dumps({"error": BLOCKED_PROMPT_ERROR}), True),
        ({"error": {"code": "429"}}, False),
        ([], False),
        ("{", False),
    ],
)
def test_content_filter_error_is_recognised_by_its_code(body: Any, expected: bool) -> None:
    assert is_content_filter_error(body) is expected


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        pytest.param(
            {"error": {"code": "content_filter_error", "message": "The contents are not filtered"}},
            [],
            id="annotation-error-is-not-a-category",
        ),
        pytest.param(
            {
                "ungrounded_material": {
                    "detected": True,
                    "filtered": False,
                    "details": [{"completion_start_offset": 27, "completion_end_offset": 127}],
                }
            },
            [
                row(
                    "completion",
                    2,
                    "ungrounded_material",
                    None,
                    False,
                    True,
                    '{"details": [{"completion_end_offset": 127, "completion_start_offset": 27}]}',
                )
            ],
            id="ungrounded-material",
        ),
        pytest.param(
            {
                "Hate": {"filtered": "yes", "severity": "HIGH"},
                "violence": "high",
                "sexual": {},
                "jailbreak": {"detected": 1, "filtered": False},
                "future_category": {"filtered": False, "severity": "safe", "score": 0.1},
            },
            [
                row("completion", 2, "hate", "high", False, None),
                row("completion", 2, "jailbreak", None, False, None),
                row("completion", 2, "future_category", "safe", False, None, '{"score": 0.1}'),
            ],
            id="wrong-types-are-skipped-unknown-keys-kept",
        ),
        pytest.param({}, [], id="empty-as-streamed"),
        pytest.param(["hate"], [], id="not-an-object"),
    ],
)
def test_choice_filter_results_tolerate_odd_input(results: Any, expected: list[Any]) -> None:
    assert parse_choice_filter_results(2, results, CALL) == expected


@pytest.mark.parametrize(
    "value",
    [None, 7, "[", {"prompt_index": "x"}, [None, 3, {"prompt_index": 0}], [{"x": 1}]],
)
def test_prompt_filter_results_never_raise_on_odd_input(value: Any) -> None:
    assert parse_prompt_filter_results(value, CALL) == []


def test_prompt_index_defaults_to_position_when_missing_or_invalid() -> None:
    value = [
        {"content_filter_results": {"hate": {"filtered": False, "severity": "safe"}}},
        {"prompt_index": -1, "content_filter_results": {"hate": {"filtered": False}}},
        {"prompt_index": 5, "content_filter_result": {"hate": {"severity": "low"}}},
    ]
    assert parse_prompt_filter_results(value, CALL) == [
        row("prompt", 0, "hate", "safe", False, None),
        row("prompt", 1, "hate", None, False, None),
        row("prompt", 5, "hate", "low", False, None),
    ]


def test_duplicate_verdicts_keep_the_strongest() -> None:
    results = {
        "self-harm": {"filtered": False, "severity": "low"},
        "self_harm": {"filtered": False, "severity": "medium"},
    }
    assert parse_choice_filter_results(0, results, CALL) == [
        row("completion", 0, "self_harm", "medium", False, None)
    ]
    assert merge_filter_rows(
        [row("prompt", 0, "hate", "low", False, None)],
        [
            row("prompt", 0, "hate", "safe", True, None),
            row("prompt", 1, "hate", "safe", False, None),
        ],
    ) == [
        row("prompt", 0, "hate", "safe", True, None),
        row("prompt", 1, "hate", "safe", False, None),
    ]


SAFE_PROMPT = row("prompt", 0, "hate", "safe", False, None)
LOW_COMPLETION = row("completion", 0, "violence", "low", False, None)
DETECTED = row("completion", 0, "protected_material_code", None, False, True)
FILTERED_PROMPT = row("prompt", 0, "hate", "high", True, None)
FILTERED_COMPLETION = row("completion", 0, "violence", "high", True, None)
NOT_DETECTED = row("prompt", 0, "jailbreak", None, False, False)


@pytest.mark.parametrize(
    ("rows", "finish_reasons", "blocked", "expected"),
    [
        ([], [], False, "none"),
        ([SAFE_PROMPT, NOT_DETECTED], ["stop"], False, "none"),
        ([SAFE_PROMPT, LOW_COMPLETION], ["stop"], False, "annotated"),
        ([DETECTED], ["stop"], False, "annotated"),
        ([FILTERED_COMPLETION], ["content_filter"], False, "filtered_completion"),
        ([SAFE_PROMPT], ["stop", "content_filter"], False, "filtered_completion"),
        ([FILTERED_COMPLETION], ["stop"], False, "filtered_completion"),
        ([FILTERED_PROMPT], [], False, "blocked_prompt"),
        ([], [], True, "blocked_prompt"),
        ([FILTERED_PROMPT, FILTERED_COMPLETION], ["content_filter"], False, "blocked_prompt"),
        ([LOW_COMPLETION], [None, "length"], False, "annotated"),
    ],
)
def test_filter_action_is_the_strongest_verdict(
    rows: list[FilterResultRow], finish_reasons: list[str | None], blocked: bool, expected: str
) -> None:
    assert decide_filter_action(rows, finish_reasons, blocked) == expected


def test_deeply_nested_json_text_gives_no_rows() -> None:
    assert parse_prompt_filter_results("[" * 100_000 + "]" * 100_000, CALL) == []


# The status message openai-v2 records for a 400 content_filter (openai's APIStatusError
# text: "Error code: {status} - {body!r}"), body from azure-formats research section 5.2.
BLOCKED_STATUS_MESSAGE = (
    "Error code: 400 - {'error': {'message': \"The response was filtered due to the prompt "
    "triggering Azure OpenAI's content management policy.\", 'type': None, 'param': 'prompt', "
    "'code': 'content_filter', 'status': 400, 'innererror': {'code': "
    "'ResponsibleAIPolicyViolation', 'content_filter_result': {'hate': {'filtered': True, "
    "'severity': 'high'}, 'jailbreak': {'filtered': False, 'detected': False}}}}}"
)


def test_status_message_of_a_blocked_prompt_gives_its_error_body() -> None:
    blocked, body = content_filter.blocked_prompt_in_status(BLOCKED_STATUS_MESSAGE)
    assert blocked
    assert body is not None
    rows = content_filter.parse_error_filter_result(body, "c1")
    assert sorted((r.category, r.severity, r.filtered, r.detected) for r in rows) == [
        ("hate", "high", True, None),
        ("jailbreak", None, False, False),
    ]


@pytest.mark.parametrize(
    "message",
    [
        "",
        "Error code: 429 - {'error': {'code': '429', 'message': 'Rate limit'}}",
        "Error code: 400 - {'error': {'code': 'invalid_request', 'message': 'content_filter?'}}",
        "Error code: 400 - {'error': {'code': 'content_filter', __import__('os')}}",
        "Error code: 400 - not a literal content_filter",
        "Connection error.",
    ],
)
def test_other_status_messages_give_no_error_body(message: str) -> None:
    assert content_filter.blocked_prompt_in_status(message)[1] is None


def test_openai3_status_message_of_a_blocked_prompt_is_recognised() -> None:
    # openai 3.x: "Error code: {status} - {error.message}" (seen from the real client).
    message = (
        "Error code: 400 - The response was filtered due to the prompt triggering Azure "
        "OpenAI's content management policy. Please modify your prompt and retry."
    )
    assert content_filter.blocked_prompt_in_status(message) == (True, None)
    assert content_filter.blocked_prompt_in_status(BLOCKED_STATUS_MESSAGE)[0]
    assert content_filter.blocked_prompt_in_status("Error code: 400 - Invalid 'messages'") == (
        False,
        None,
    )
    assert content_filter.blocked_prompt_in_status(message.replace("400", "500", 1)) == (
        False,
        None,
    )
