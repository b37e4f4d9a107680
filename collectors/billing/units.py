"""How many tokens one unit of an export's quantity stands for, from its unit columns.

Cost Management writes a meter's unit of measure (``1K``, ``1M``, ``1K Tokens``, ``1M
Tokens``) as ``UnitOfMeasure`` in the actual-cost CSV, where ``Quantity`` counts such blocks.
In the FOCUS dataset that text is ``x_PricingUnitDescription``, ``PricingQuantity`` counts
the blocks, ``x_PricingBlockSize`` is the block's size (1,000 for ``1K``), and
``ConsumedUnit`` / ``PricingUnit`` hold the distinct unit (``Units``): ``ConsumedQuantity``
counts single tokens (``ConsumedQuantity / x_PricingBlockSize = PricingQuantity``).

``tokens_per_unit`` reads one unit text; None when it does not count tokens (``1 Hour``,
``Requests``) or says nothing (empty). Pure: no I/O.
"""

from __future__ import annotations

import re
from typing import Final

_BLOCK: Final = re.compile(
    r"^(?P<number>\d+(?:\.\d+)?)?\s*(?P<scale>[km])?\s*(?P<word>tokens?|units?)?$", re.IGNORECASE
)
_SCALE: Final = {"": 1, "k": 1_000, "m": 1_000_000}


def tokens_per_unit(unit: str | None) -> int | None:
    """Tokens in one unit: ``Units`` and ``Tokens`` 1, ``1K`` 1,000, ``1M Tokens``
    1,000,000, ``1000`` 1,000; None for a unit that does not count tokens, or none."""
    text = (unit or "").strip()
    if not text or text.lower() in ("nan", "none", "unassigned", "-2"):
        return None
    match = _BLOCK.match(text)
    if match is None or not (match.group("number") or match.group("word")):
        return None
    number = float(match.group("number") or 1)
    size = number * _SCALE[(match.group("scale") or "").lower()]
    return int(size) if size >= 1 and size == int(size) else None
