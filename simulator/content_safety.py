"""Content-filter verdicts the simulator gives, driven by words in the prompt.

Azure's default filter configuration annotates four harm categories with a severity
(``safe``, ``low``, ``medium``, ``high``) and filters ``medium`` and ``high``; binary
classifiers (``jailbreak``, ``protected_material_text``) say ``detected``. The simulator
finds the severity from a small lexicon, so a prompt set can ask for each outcome:

- a ``low`` word annotates the prompt (and the answer) without filtering;
- a ``medium`` or ``high`` word, or a jailbreak phrase, blocks the prompt (HTTP 400);
- asking for song lyrics makes the *completion* hit protected material: the answer stops
  with ``finish_reason: "content_filter"``;
- the guardrails beyond the harm categories annotate without filtering, each on its own
  phrase (``GUARDRAIL_PHRASES``): a prompt attack hidden in a document
  (``indirect_attack``) and a blocklisted word (``custom_blocklists``, blocklist
  ``competitors``) on the prompt; personal data asked back (``personally_identifiable_information``
  with entity types), code copied from a library (``protected_material_code`` with a
  citation), an answer the sources do not back (``ungrounded_material`` with offsets) and
  a request outside the assistant's task (``task_adherence``) on the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

from azure_openai_wire.content_filter import (
    HARM_CATEGORIES,
    SEVERITIES,
    detection_verdict,
    severity_verdict,
)

FILTERED_FROM: Final = "medium"  # Azure's default threshold

LEXICON: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "violence": {
        "low": ("fight", "punch", "battle", "sword"),
        "medium": ("weapon", "stabbing", "shooting"),
        "high": ("massacre", "torture", "behead"),
    },
    "hate": {
        "low": ("stereotype", "prejudice"),
        "medium": ("slur", "inferior race"),
        "high": ("exterminate them",),
    },
    "sexual": {
        "low": ("romantic", "kissing"),
        "medium": ("explicit sex",),
        "high": ("pornographic",),
    },
    "self_harm": {
        "low": ("hopeless", "diet pills"),
        "medium": ("self-harm", "hurt myself"),
        "high": ("suicide method",),
    },
}
JAILBREAK_PHRASES: Final = (
    "ignore previous instructions",
    "ignore all previous instructions",
    "developer mode",
    "do anything now",
)
PROTECTED_TEXT_PHRASES: Final = ("lyrics",)
# Guardrail -> the phrases that trigger it; each annotates (detected, not filtered).
GUARDRAIL_PHRASES: Final[dict[str, tuple[str, ...]]] = {
    "indirect_attack": ("the attached document says", "hidden instruction"),
    "custom_blocklists": ("competitor",),
    "personally_identifiable_information": ("my email", "phone number"),
    "protected_material_code": ("quicksort implementation", "copy the source"),
    "ungrounded_material": ("according to the sources",),
    "task_adherence": ("book me a flight", "transfer funds"),
}
PROMPT_GUARDRAILS: Final = ("indirect_attack", "custom_blocklists")
BLOCKLIST_ID: Final = "competitors"
CODE_CITATION: Final = {"URL": "https://github.com/example/sorting/blob/main/quick.py",
                        "license": "MIT"}  # fmt: skip
PII_ENTITIES: Final = ({"category": "Email"}, {"category": "PhoneNumber"})
_LEVELS: Final = ("low", "medium", "high")
# One compiled pattern per category and level: whole words or phrases, any of them.
_PATTERNS: Final = {
    (category, level): re.compile(
        r"\b(?:" + "|".join(re.escape(w) for w in LEXICON[category][level]) + r")\b"
    )
    for category in HARM_CATEGORIES
    for level in _LEVELS
}


@dataclass(frozen=True)
class Verdicts:
    """What the filters say about one prompt."""

    severities: dict[str, str]
    jailbreak: bool
    protected_text: bool
    matched: tuple[str, ...] = field(default=())
    guardrails: frozenset[str] = field(default=frozenset())  # GUARDRAIL_PHRASES keys hit

    @property
    def blocked(self) -> bool:
        return self.jailbreak or any(_filtered(s) for s in self.severities.values())


def judge_prompt(text: str) -> Verdicts:
    """Severity per harm category, jailbreak and protected-material hits for ``text``."""
    lowered = text.lower()
    severities: dict[str, str] = {}
    matched: list[str] = []
    for category in HARM_CATEGORIES:
        severity = "safe"
        for level in _LEVELS:
            found = _PATTERNS[category, level].findall(lowered)
            if found:
                severity = level
                matched.extend(found)
        severities[category] = severity
    jailbreak = any(phrase in lowered for phrase in JAILBREAK_PHRASES)
    protected = any(phrase in lowered for phrase in PROTECTED_TEXT_PHRASES)
    guardrails = frozenset(
        name for name, phrases in GUARDRAIL_PHRASES.items() if any(p in lowered for p in phrases)
    )
    return Verdicts(severities, jailbreak, protected, tuple(matched), guardrails)


def prompt_filter_results(verdicts: Verdicts) -> dict[str, Any]:
    """``prompt_filter_results[0].content_filter_results`` for these verdicts."""
    results: dict[str, Any] = {
        category: severity_verdict(severity, filtered=_filtered(severity))
        for category, severity in verdicts.severities.items()
    }
    results["jailbreak"] = detection_verdict(verdicts.jailbreak, filtered=verdicts.jailbreak)
    if "indirect_attack" in verdicts.guardrails:
        results["indirect_attack"] = detection_verdict(True, filtered=False)
    if "custom_blocklists" in verdicts.guardrails:
        results["custom_blocklists"] = {
            "filtered": False, "details": [{"id": BLOCKLIST_ID, "filtered": False}]
        }  # fmt: skip
    return results


def blocked_prompt_result(verdicts: Verdicts) -> dict[str, Any]:
    """The ``content_filter_result`` of a 400 answer: the categories that ran."""
    return prompt_filter_results(verdicts)


def completion_filter_results(verdicts: Verdicts, *, cut: bool) -> dict[str, Any]:
    """A choice's ``content_filter_results``: the answer echoes the prompt's low severities;
    ``cut`` (the answer hit protected material) filters it."""
    results: dict[str, Any] = {
        category: severity_verdict("low" if severity == "low" else "safe", filtered=False)
        for category, severity in verdicts.severities.items()
    }
    results["protected_material_text"] = detection_verdict(cut, filtered=cut)
    code = "protected_material_code" in verdicts.guardrails
    results["protected_material_code"] = detection_verdict(code, filtered=False)
    if code:
        results["protected_material_code"]["citation"] = dict(CODE_CITATION)
    if "personally_identifiable_information" in verdicts.guardrails:
        results["personally_identifiable_information"] = {
            **detection_verdict(True, filtered=False), "details": [dict(e) for e in PII_ENTITIES]
        }  # fmt: skip
    if "ungrounded_material" in verdicts.guardrails:
        results["ungrounded_material"] = {
            **detection_verdict(True, filtered=False),
            "details": [{"completion_start_offset": 0, "completion_end_offset": 40}],
        }
    if "task_adherence" in verdicts.guardrails:
        results["task_adherence"] = detection_verdict(True, filtered=False)
    return results


def _filtered(severity: str) -> bool:
    return SEVERITIES.index(severity) >= SEVERITIES.index(FILTERED_FROM)
