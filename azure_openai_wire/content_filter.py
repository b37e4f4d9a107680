"""Content-filter verdicts as Azure OpenAI writes them, and the keys that carry them.

Sources: the 2024-10-21 specification (``contentFilterPromptResults``,
``contentFilterChoiceResults``, ``contentFilterSeverityResult``,
``contentFilterDetectedResult``) and azure-ai-docs ``concepts/content-filter.md``. A harm
category says a ``severity`` (``safe`` to ``high``) and whether it was ``filtered``; a binary
classifier (``jailbreak``, ``protected_material_text``, ...) says ``detected``. The verdicts
of a blocked prompt sit in the error's inner error, which the wire usually spells
``innererror`` / ``content_filter_result`` and the specification ``inner_error`` /
``content_filter_results``; both are seen, so writers and readers know both.
"""

from __future__ import annotations

from typing import Any, Final

SEVERITIES: Final = ("safe", "low", "medium", "high")
HARM_CATEGORIES: Final = ("hate", "sexual", "violence", "self_harm")

PROMPT_FILTER_RESULTS: Final = "prompt_filter_results"
PROMPT_FILTER_KEYS: Final = (PROMPT_FILTER_RESULTS, "prompt_annotations")
"""Where an answer puts the prompt's verdicts; one documentation sample says
``prompt_annotations``."""
CONTENT_FILTER_RESULTS: Final = "content_filter_results"
CONTENT_FILTER: Final = "content_filter"
"""The ``error.code`` of a blocked prompt and the ``finish_reason`` of a filtered answer."""

WIRE_SPELLING: Final = ("innererror", "content_filter_result")
SPEC_SPELLING: Final = ("inner_error", "content_filter_results")
INNER_ERROR_SPELLINGS: Final = (WIRE_SPELLING, SPEC_SPELLING)
"""(inner error key, verdicts key) of a blocked prompt's error, as the wire usually sends it
first."""


def severity_verdict(severity: str, *, filtered: bool) -> dict[str, Any]:
    """A harm category's verdict."""
    return {"filtered": filtered, "severity": severity}


def detection_verdict(detected: bool, *, filtered: bool) -> dict[str, Any]:
    """A binary classifier's verdict."""
    return {"filtered": filtered, "detected": detected}


def prompt_filter_results(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``prompt_filter_results`` of an answer to one prompt."""
    return [{"prompt_index": 0, CONTENT_FILTER_RESULTS: results}]
