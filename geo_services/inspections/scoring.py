"""The score of a filled checklist: a pure function of the items, the answers and the pass score.

Each scored item earns a fraction of its weight (from 0 to 1):

- yes/no: yes earns it all, no nothing;
- score 0..n: answer / n;
- number: all when within [min_value, max_value] (either bound may be open), else nothing;
- choice: the chosen choice's points (0..1).

Text and photo items are evidence and never scored. An item left unanswered (only an optional one
can be) does not count: it neither earns nor loses points. The score is 100 * earned / total weight of
the counted items (100 when nothing counts), rounded half up to two decimals. An item *fails* when it
earns less than half of what it could; a failed critical item fails the inspection whatever the
score. `passed` = no critical item failed and score ≥ pass score.

Answers reach this function already checked against their item's type (checklists.check_answers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
_HALF = Decimal("0.5")


@dataclass(frozen=True)
class ItemRule:
    """What scoring needs of a checklist item."""

    key: str
    type: str
    weight: Decimal = Decimal(1)
    critical: bool = False
    max_score: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    # choice value -> points (0..1)
    choice_points: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Score:
    score: Decimal  # 0..100, two decimals
    passed: bool
    failed_critical: tuple[str, ...]  # keys, in checklist order
    earned: Decimal
    possible: Decimal


def item_fraction(rule: ItemRule, answer: Any) -> Decimal | None:
    """The share of its weight an answer earns, or None when the item does not count."""
    if answer is None:
        return None
    if rule.type == "yes_no":
        return Decimal(1) if answer is True else Decimal(0)
    if rule.type == "score":
        # A score item always has a positive maximum (a CHECK constraint); 1 only satisfies the types.
        return Decimal(int(answer)) / Decimal(rule.max_score or 1)
    if rule.type == "number":
        value = float(answer)
        too_low = rule.min_value is not None and value < rule.min_value
        too_high = rule.max_value is not None and value > rule.max_value
        return Decimal(0) if too_low or too_high else Decimal(1)
    if rule.type == "choice":
        return Decimal(rule.choice_points[str(answer)])
    return None  # text and photo: evidence, not scored


def score_inspection(rules: Sequence[ItemRule], answers: Mapping[str, Any], *, pass_score: Decimal) -> Score:
    earned = Decimal(0)
    possible = Decimal(0)
    failed: list[str] = []
    for rule in rules:
        fraction = item_fraction(rule, answers.get(rule.key))
        if fraction is None:
            continue
        earned += rule.weight * fraction
        possible += rule.weight
        if rule.critical and fraction < _HALF:
            failed.append(rule.key)
    score = HUNDRED if possible == 0 else (HUNDRED * earned / possible)
    score = score.quantize(_CENT, rounding=ROUND_HALF_UP)
    return Score(
        score=score,
        passed=not failed and score >= pass_score,
        failed_critical=tuple(failed),
        earned=earned,
        possible=possible,
    )
