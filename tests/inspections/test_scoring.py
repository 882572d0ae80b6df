"""The score is a pure function of items, answers and the pass score (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from geo_services.inspections.scoring import ItemRule, item_fraction, score_inspection

YES = ItemRule(key="clean", type="yes_no", weight=Decimal(1))
SCORE = ItemRule(key="lighting", type="score", weight=Decimal(2), max_score=4)
NUMBER = ItemRule(key="temperature", type="number", weight=Decimal(1), min_value=0.0, max_value=5.0)
CHOICE = ItemRule(
    key="litter",
    type="choice",
    weight=Decimal(1),
    choice_points={"none": Decimal(1), "some": Decimal("0.5"), "lots": Decimal(0)},
)
TEXT = ItemRule(key="notes", type="text", weight=Decimal(0))
PHOTO = ItemRule(key="before", type="photo", weight=Decimal(0))
ALL = [YES, SCORE, NUMBER, CHOICE, TEXT, PHOTO]


@pytest.mark.parametrize(
    ("rule", "answer", "fraction"),
    [
        (YES, True, Decimal(1)),
        (YES, False, Decimal(0)),
        (SCORE, 4, Decimal(1)),
        (SCORE, 1, Decimal("0.25")),
        (SCORE, 0, Decimal(0)),
        (NUMBER, 0, Decimal(1)),  # the bounds are inside the range
        (NUMBER, 5.0, Decimal(1)),
        (NUMBER, 5.01, Decimal(0)),
        (NUMBER, -1, Decimal(0)),
        (ItemRule(key="n", type="number", min_value=10.0), 1e9, Decimal(1)),  # open upper bound
        (ItemRule(key="n", type="number", max_value=10.0), -1e9, Decimal(1)),  # open lower bound
        (CHOICE, "some", Decimal("0.5")),
        (CHOICE, "lots", Decimal(0)),
        (TEXT, "anything", None),
        (PHOTO, ["6f1c…"], None),
        (YES, None, None),
    ],
)
def test_each_type_earns_its_share(rule, answer, fraction):
    assert item_fraction(rule, answer) == fraction


def test_weights_decide_the_score():
    # earned: yes 1 + score 2*2/4=1 + number 0 + choice 0.5 = 2.5 of 5 -> 50 %
    result = score_inspection(
        ALL,
        {"clean": True, "lighting": 2, "temperature": 9, "litter": "some", "notes": "x", "before": ["p"]},
        pass_score=Decimal(50),
    )
    assert result.earned == Decimal("2.5")
    assert result.possible == Decimal(5)
    assert result.score == Decimal("50.00")
    assert result.passed is True  # exactly the pass score passes


def test_below_the_pass_score_fails():
    result = score_inspection(
        ALL, {"clean": True, "lighting": 2, "temperature": 9, "litter": "some"}, pass_score=Decimal("50.01")
    )
    assert result.passed is False
    assert result.failed_critical == ()


def test_unanswered_optional_items_do_not_count():
    result = score_inspection(ALL, {"clean": True}, pass_score=Decimal(100))
    assert result.possible == Decimal(1)
    assert result.score == Decimal(100)
    assert result.passed is True


def test_nothing_scored_is_a_full_score():
    assert score_inspection([TEXT, PHOTO], {"notes": "ok"}, pass_score=Decimal(100)).score == Decimal(100)


def test_a_failed_critical_item_fails_whatever_the_score():
    critical = ItemRule(key="exits", type="yes_no", weight=Decimal("0.01"), critical=True)
    result = score_inspection(
        [critical, SCORE, NUMBER], {"exits": False, "lighting": 4, "temperature": 2}, pass_score=Decimal(10)
    )
    assert result.score > Decimal(99)
    assert result.failed_critical == ("exits",)
    assert result.passed is False


@pytest.mark.parametrize(("answer", "failed"), [(0, True), (1, True), (2, False), (4, False)])
def test_a_critical_score_fails_below_half(answer, failed):
    critical = ItemRule(key="safety", type="score", weight=Decimal(1), critical=True, max_score=4)
    result = score_inspection([critical], {"safety": answer}, pass_score=Decimal(0))
    assert (result.failed_critical == ("safety",)) is failed


def test_critical_choice_and_number():
    choice = ItemRule(
        key="c", type="choice", critical=True, choice_points={"ok": Decimal(1), "meh": Decimal("0.4")}
    )
    number = ItemRule(key="n", type="number", critical=True, min_value=1.0)
    result = score_inspection([choice, number], {"c": "meh", "n": 0}, pass_score=Decimal(0))
    assert result.failed_critical == ("c", "n")  # in checklist order


def test_rounding_is_half_up_to_cents():
    rules = [ItemRule(key=k, type="yes_no") for k in "abc"]
    result = score_inspection(rules, {"a": True, "b": True, "c": False}, pass_score=Decimal("66.67"))
    assert result.score == Decimal("66.67")
    assert result.passed is True
