"""Guardrail categories and their details, read from every spelling that carries verdicts.

Shapes: ``protected_material_code.citation {URL, license}`` and ``ungrounded_material.details
[{completion_start_offset, completion_end_offset}]`` as in the Azure OpenAI content-filter
docs (MicrosoftDocs/azure-ai-docs, content filter annotations); ``custom_blocklists.details
[{id, filtered}]`` as in the 2024-10-21 REST spec. The personal data and task adherence
entries follow the same ``{filtered, detected, details}`` shape; their details are kept as
sent, whatever they hold.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from collectors.content_filter import (
    completion_text_of_messages,
    parse_choice_filter_results,
    parse_completion_filter_results,
    parse_error_filter_result,
    parse_prompt_filter_results,
)
from collectors.rows import FilterResultRow
from tests.fixtures.otlp_spans import CALL_ID, make_request, make_span
from tests.normalizing import Normalized, normalize_request

CITATION = {"URL": "https://github.com/octo/lib/blob/main/sort.py", "license": "MIT"}
PII_ENTITIES = [{"category": "Email"}, {"category": "PhoneNumber"}]
OFFSETS = [{"completion_start_offset": 27, "completion_end_offset": 127}]

# A choice's verdicts with every guardrail category of the output, and one no one knows yet.
OUTPUT_RESULTS: dict[str, Any] = {
    "hate": {"filtered": False, "severity": "safe"},
    "protected_material_code": {"filtered": True, "detected": True, "citation": CITATION},
    "ungrounded_material": {
        "filtered": False,
        "detected": True,
        "details": OFFSETS,
        "reasoning": "The answer names a date the sources do not give.",
    },
    "personally_identifiable_information": {
        "filtered": False,
        "detected": True,
        "details": PII_ENTITIES,
    },
    "task_adherence": {"filtered": False, "detected": True},
    "custom_blocklists": {"filtered": True, "details": [{"id": "competitors", "filtered": True}]},
    "content_provenance": {"filtered": False, "detected": False, "score": 0.2},
}
# A prompt's verdicts: prompt shields and a blocklist.
INPUT_RESULTS: dict[str, Any] = {
    "jailbreak": {"filtered": False, "detected": False},
    "indirect_attack": {"filtered": True, "detected": True},
    "custom_blocklists": {"filtered": False, "details": [{"id": "secrets", "filtered": False}]},
}


def dumped(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def output_rows(call: str, idx: int = 0, point: str | None = None) -> list[FilterResultRow]:
    def row(category: str, severity: str | None, filtered: bool, detected: bool | None,
            details: str | None = None) -> FilterResultRow:  # fmt: skip
        return FilterResultRow(
            call, "completion", idx, category, severity, filtered, detected, details, point
        )

    return [
        row("hate", "safe", False, None),
        row("protected_material_code", None, True, True, dumped({"citation": CITATION})),
        row(
            "ungrounded_material",
            None,
            False,
            True,
            dumped(
                {
                    "details": OFFSETS,
                    "reasoning": "The answer names a date the sources do not give.",
                }
            ),
        ),
        row(
            "personally_identifiable_information",
            None,
            False,
            True,
            dumped({"details": PII_ENTITIES}),
        ),
        row("task_adherence", None, False, True),
        row("custom_blocklists:competitors", None, True, None, dumped({"id": "competitors"})),
        row("content_provenance", None, False, False, dumped({"score": 0.2})),
    ]


def input_rows(call: str, point: str | None = None) -> list[FilterResultRow]:
    return [
        FilterResultRow(call, "prompt", 0, "jailbreak", None, False, False, None, point),
        FilterResultRow(call, "prompt", 0, "indirect_attack", None, True, True, None, point),
        FilterResultRow(
            call,
            "prompt",
            0,
            "custom_blocklists:secrets",
            None,
            False,
            None,
            dumped({"id": "secrets"}),
            point,
        ),
    ]


# --- the Azure response shapes ---------------------------------------------------------


def test_a_choice_keeps_each_guardrail_category_with_its_details() -> None:
    assert parse_choice_filter_results(0, OUTPUT_RESULTS, "c") == output_rows("c")


def test_every_choice_of_a_completion_list_keeps_its_index() -> None:
    listed = [{"index": 1, "content_filter_results": OUTPUT_RESULTS}]
    assert parse_completion_filter_results(listed, "c") == output_rows("c", idx=1)


def test_prompt_filter_results_keep_prompt_shields_and_blocklist_ids() -> None:
    listed = [{"prompt_index": 0, "content_filter_results": INPUT_RESULTS}]
    assert parse_prompt_filter_results(json.dumps(listed), "c") == input_rows("c")


@pytest.mark.parametrize("inner", ["innererror", "inner_error"])
def test_a_blocked_prompt_body_keeps_its_guardrail_categories(inner: str) -> None:
    key = "content_filter_result" if inner == "innererror" else "content_filter_results"
    body = {"error": {"code": "content_filter", "status": 400, inner: {key: INPUT_RESULTS}}}
    assert parse_error_filter_result(body, "c") == input_rows("c")


def test_the_short_pii_key_is_kept_as_sent() -> None:
    verdict = {"pii": {"filtered": True, "detected": True, "details": PII_ENTITIES}}
    assert parse_choice_filter_results(0, verdict, "c") == [
        FilterResultRow(
            "c", "completion", 0, "pii", None, True, True, dumped({"details": PII_ENTITIES})
        )
    ]


def test_an_unknown_category_is_kept_with_whatever_it_says() -> None:
    verdict = {"Prompt-Injection-V3": {"detected": True, "filtered": False, "source": "tool"}}
    assert parse_choice_filter_results(0, verdict, "c") == [
        FilterResultRow(
            "c",
            "completion",
            0,
            "prompt_injection_v3",
            None,
            False,
            True,
            dumped({"source": "tool"}),
        )
    ]


@pytest.mark.parametrize("point", ["tool_call", "tool_response", "Tool Response", "output"])
def test_an_intervention_point_named_by_the_verdict_or_its_entry_is_kept(point: str) -> None:
    expected = point.lower().replace(" ", "_")
    on_verdict = {"task_adherence": {"detected": True, "filtered": True,
                                     "intervention_point": point}}  # fmt: skip
    (row,) = parse_choice_filter_results(0, on_verdict, "c")
    assert (row.intervention_point, row.details) == (expected, None)
    on_entry = [{"index": 0, "intervention_point": point, "content_filter_results": on_verdict}]
    (row,) = parse_completion_filter_results(on_entry, "c")
    assert row.intervention_point == expected


def test_a_verdict_naming_no_intervention_point_leaves_it_to_the_writer() -> None:
    rows = parse_choice_filter_results(0, OUTPUT_RESULTS, "c")
    assert {row.intervention_point for row in rows} == {None}


# --- output messages (OpenLLMetry 0.62) ------------------------------------------------


def test_output_messages_give_only_their_verdicts() -> None:
    messages = [
        {"role": "assistant", "parts": [{"type": "text", "content": "secret text"}],
         "finish_reason": "content_filter", "content_filter_results": OUTPUT_RESULTS},
        {"role": "assistant", "parts": [], "finish_reason": "stop"},
        {"role": "assistant", "parts": [], "content_filter_results": {"hate": {
            "filtered": False, "severity": "low"}}},
    ]  # fmt: skip
    text = completion_text_of_messages(json.dumps(messages))
    assert text is not None and "secret text" not in text
    assert json.loads(text) == [
        {"index": 0, "content_filter_results": OUTPUT_RESULTS},
        {"index": 2, "content_filter_results": {"hate": {"filtered": False, "severity": "low"}}},
    ]


@pytest.mark.parametrize(
    "messages", [None, "not json", "[]", json.dumps([{"role": "assistant", "parts": []}])]
)
def test_output_messages_without_verdicts_give_none(messages: str | None) -> None:
    assert completion_text_of_messages(messages) is None


# --- span attributes, through the normaliser --------------------------------------------


def normalize(attributes: dict[str, Any], **span: Any) -> Normalized:
    return normalize_request(make_request(make_span(attributes, **span)), source="otlp")


CHAT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "azure.ai.openai",
    "gen_ai.request.model": "chat-prod",
    "server.address": "aoai-prod.openai.azure.com",
    "gen_ai.usage.input_tokens": 10,
    "gen_ai.usage.output_tokens": 5,
}


def test_openllmetry_062_completion_verdicts_in_output_messages_are_stored() -> None:
    """Each filtered choice's verdicts arrive inside its output message entry."""
    messages = [
        {"role": "assistant", "parts": [], "finish_reason": "content_filter",
         "content_filter_results": OUTPUT_RESULTS},
        {"role": "assistant", "parts": [], "finish_reason": "content_filter",
         "content_filter_results": OUTPUT_RESULTS},
    ]  # fmt: skip
    batch = normalize({
        **CHAT,
        "gen_ai.prompt.prompt_filter_results": json.dumps(
            [{"prompt_index": 0, "content_filter_results": INPUT_RESULTS}]),
        "gen_ai.output.messages": json.dumps(messages),
        "gen_ai.response.finish_reasons": ("content_filter", "content_filter"),
    })  # fmt: skip
    assert batch.calls[0].filter_action == "blocked_prompt"  # indirect_attack filtered
    assert batch.filter_results == (
        input_rows(CALL_ID) + output_rows(CALL_ID, 0) + output_rows(CALL_ID, 1)
    )


def test_openllmetry_062_filtered_completion_without_prompt_verdicts() -> None:
    messages = [{"role": "assistant", "parts": [], "finish_reason": "content_filter",
                 "content_filter_results": OUTPUT_RESULTS}]  # fmt: skip
    batch = normalize({**CHAT, "gen_ai.output.messages": json.dumps(messages),
                       "gen_ai.response.finish_reasons": ("content_filter",)})  # fmt: skip
    assert batch.calls[0].filter_action == "filtered_completion"
    assert batch.filter_results == output_rows(CALL_ID)


def test_our_attributes_carry_the_guardrail_categories() -> None:
    batch = normalize({
        **CHAT,
        "azure.openai.prompt_filter_results": json.dumps(
            [{"prompt_index": 0, "content_filter_results": INPUT_RESULTS}]),
        "azure.openai.completion_filter_results": json.dumps(
            [{"index": 0, "content_filter_results": OUTPUT_RESULTS}]),
    })  # fmt: skip
    assert batch.filter_results == input_rows(CALL_ID) + output_rows(CALL_ID)


def test_our_blocked_prompt_attribute_carries_the_guardrail_categories() -> None:
    error = {"error": {"code": "content_filter", "status": 400,
                       "innererror": {"content_filter_result": INPUT_RESULTS}}}  # fmt: skip
    batch = normalize({**CHAT, "azure.openai.content_filter.error": json.dumps(error),
                       "azure.openai.content_filter.blocked": True})  # fmt: skip
    assert batch.calls[0].filter_action == "blocked_prompt"
    assert batch.filter_results == input_rows(CALL_ID)


def test_openllmetry_per_choice_attributes_carry_the_guardrail_categories() -> None:
    batch = normalize({
        **CHAT,
        "gen_ai.prompt.prompt_filter_results": json.dumps(
            [{"prompt_index": 0, "content_filter_results": INPUT_RESULTS}]),
        "gen_ai.completion.0.finish_reason": "content_filter",
        "gen_ai.completion.0.content_filter_results": json.dumps(OUTPUT_RESULTS),
    })  # fmt: skip
    assert batch.filter_results == input_rows(CALL_ID) + output_rows(CALL_ID)


def test_openai_status_text_of_a_blocked_prompt_carries_the_guardrail_categories() -> None:
    body = {
        "error": {
            "code": "content_filter",
            "innererror": {
                "code": "ResponsibleAIPolicyViolation",
                "content_filter_result": INPUT_RESULTS,
            },
        }
    }
    batch = normalize(CHAT, status_code=2, status_message=f"Error code: 400 - {body!r}")
    assert batch.calls[0].filter_action == "blocked_prompt"
    assert batch.filter_results == input_rows(CALL_ID)
