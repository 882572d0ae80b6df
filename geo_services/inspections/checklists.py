"""What a checklist is and which answers it accepts, checked once with messages that name the item.

The admin, the demo loader and the services read a checklist's items through `parse_items` (a list
of objects, as in docs/field-sync.md); a tablet's answers go through `check_answers`. Both collect
every problem before refusing, so one answer says everything that must be fixed.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from geo_services.core.errors import InvalidInput
from geo_services.inspections.models import SCORED_TYPES, ChecklistItem, ItemType
from geo_services.inspections.scoring import ItemRule

MAX_ITEMS = 200
MAX_TEXT_ANSWER = 4000
MAX_PHOTOS_PER_ITEM = 20
MAX_WEIGHT = Decimal("99999.99")
_KEY = re.compile(r"^[a-z0-9_-]{1,60}$")


@dataclass(frozen=True)
class ChoiceSpec:
    value: str
    label_ar: str
    label_en: str
    points: Decimal

    def as_document(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "label_ar": self.label_ar,
            "label_en": self.label_en,
            "points": float(self.points),
        }


@dataclass(frozen=True)
class ItemSpec:
    key: str
    type: str
    label_ar: str
    label_en: str
    weight: Decimal = Decimal(1)
    critical: bool = False
    required: bool = False
    max_score: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    choices: tuple[ChoiceSpec, ...] = ()

    def as_rule(self) -> ItemRule:
        return ItemRule(
            key=self.key,
            type=self.type,
            weight=self.weight,
            critical=self.critical,
            max_score=self.max_score,
            min_value=self.min_value,
            max_value=self.max_value,
            choice_points={c.value: c.points for c in self.choices},
        )

    def as_document(self) -> dict[str, Any]:
        """The item as the API and the admin show it (only the fields its type uses)."""
        document: dict[str, Any] = {
            "key": self.key,
            "type": self.type,
            "label_ar": self.label_ar,
            "label_en": self.label_en,
            "weight": float(self.weight),
            "critical": self.critical,
            "required": self.required,
        }
        if self.type == ItemType.SCORE:
            document["max_score"] = self.max_score
        if self.type == ItemType.NUMBER:
            document["min_value"] = self.min_value
            document["max_value"] = self.max_value
        if self.type == ItemType.CHOICE:
            document["choices"] = [c.as_document() for c in self.choices]
        return document


# The columns an item and its row share, so the two converters below cannot drift apart.
ITEM_COLUMNS = (
    "key",
    "type",
    "label_ar",
    "label_en",
    "weight",
    "critical",
    "required",
    "max_score",
    "min_value",
    "max_value",
)


def item_spec(item: ChecklistItem) -> ItemSpec:
    """A stored item as the services read it."""
    return ItemSpec(
        **{column: getattr(item, column) for column in ITEM_COLUMNS},
        choices=tuple(
            ChoiceSpec(
                value=c["value"],
                label_ar=c.get("label_ar", ""),
                label_en=c.get("label_en", ""),
                points=Decimal(str(c["points"])),
            )
            for c in item.choices
        ),
    )


def item_row(spec: ItemSpec, *, version_id: int, position: int) -> ChecklistItem:
    """The row that stores an item at its position in a template version."""
    return ChecklistItem(
        version_id=version_id,
        position=position,
        **{column: getattr(spec, column) for column in ITEM_COLUMNS},
        choices=[c.as_document() for c in spec.choices],
    )


# --- Reading a checklist ----------------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, item: str, message: str, code: str = "invalid") -> None:
        self.items.append({"item": item, "code": code, "message": message})

    def raise_if_any(self, summary: str, code: str) -> None:
        if self.items:
            text = "; ".join(f"{p['item']}: {p['message']}" for p in self.items)
            raise InvalidInput(f"{summary} {text}", code=code, details=self.items)


def _label(raw: Mapping[str, Any], name: str, where: str, problems: _Problems) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip():
        problems.add(where, _("%(field)s is required text.") % {"field": name})
        return ""
    if len(value) > 300:
        problems.add(where, _("%(field)s is longer than 300 characters.") % {"field": name})
    return value.strip()


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        return None
    return float(raw)


def _decimal(raw: Any) -> Decimal | None:
    number = _number(raw)
    if number is None:
        return None
    try:
        return Decimal(str(raw)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _choices(raw: Any, where: str, problems: _Problems) -> tuple[ChoiceSpec, ...]:
    if not isinstance(raw, list) or not raw:
        problems.add(where, _("a choice item needs a non-empty list of choices."))
        return ()
    found: list[ChoiceSpec] = []
    for index, choice in enumerate(raw):
        spot = f"{where}.choices[{index}]"
        if not isinstance(choice, dict):
            problems.add(spot, _("each choice must be an object with value, label_ar, label_en and points."))
            continue
        value = choice.get("value")
        if not isinstance(value, str) or not value.strip():
            problems.add(spot, _("value is required text."))
            continue
        points = _decimal(choice.get("points"))
        if points is None or not Decimal(0) <= points <= Decimal(1):
            problems.add(spot, _("points must be a number from 0 to 1."))
            continue
        if any(c.value == value for c in found):
            problems.add(spot, _("the value %(value)r appears twice.") % {"value": value})
            continue
        found.append(
            ChoiceSpec(
                value=value,
                label_ar=_label(choice, "label_ar", spot, problems),
                label_en=_label(choice, "label_en", spot, problems),
                points=points,
            )
        )
    return tuple(found)


def _flag(raw: Mapping[str, Any], name: str, where: str, problems: _Problems) -> bool:
    value = raw.get(name, False)
    if not isinstance(value, bool):
        problems.add(where, _("%(field)s must be true or false.") % {"field": name})
        return False
    return value


def _item(raw: Any, index: int, problems: _Problems) -> ItemSpec | None:
    where = f"items[{index}]"
    if not isinstance(raw, dict):
        problems.add(where, _("each item must be an object."))
        return None
    key = raw.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        problems.add(where, _("key must be 1-60 lower-case letters, digits, '-' or '_'."))
        return None
    where = key
    kind = raw.get("type")
    if kind not in ItemType.values:
        problems.add(where, _("type must be one of %(types)s.") % {"types": ", ".join(ItemType.values)})
        return None
    scored = kind in SCORED_TYPES
    weight = _decimal(raw.get("weight", 1 if scored else 0))
    if weight is None or weight < 0 or weight > MAX_WEIGHT:
        problems.add(where, _("weight must be a number of at least 0."))
        weight = Decimal(0)
    critical = _flag(raw, "critical", where, problems)
    required = _flag(raw, "required", where, problems) or critical
    if not scored and (weight != 0 or critical):
        problems.add(where, _("text and photo items are not scored: no weight, not critical."))
    max_score: int | None = None
    min_value = max_value = None
    choices: tuple[ChoiceSpec, ...] = ()
    if kind == ItemType.SCORE:
        value = raw.get("max_score")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 1000:
            problems.add(where, _("max_score must be a whole number from 1 to 1000."))
        else:
            max_score = value
    if kind == ItemType.NUMBER:
        for bound in ("min_value", "max_value"):
            value = raw.get(bound)
            if value is not None and _number(value) is None:
                problems.add(where, _("%(field)s must be a number or null.") % {"field": bound})
        min_value, max_value = _number(raw.get("min_value")), _number(raw.get("max_value"))
        if min_value is not None and max_value is not None and min_value > max_value:
            problems.add(where, _("min_value must not be above max_value."))
    if kind == ItemType.CHOICE:
        choices = _choices(raw.get("choices"), where, problems)
    return ItemSpec(
        key=key,
        type=kind,
        label_ar=_label(raw, "label_ar", where, problems),
        label_en=_label(raw, "label_en", where, problems),
        weight=weight,
        critical=critical,
        required=required,
        max_score=max_score,
        min_value=min_value,
        max_value=max_value,
        choices=choices,
    )


def parse_items(raw: Any) -> list[ItemSpec]:
    """A checklist's items from a list of objects (see docs/field-sync.md), or InvalidInput naming
    every item that is wrong and why. A critical item is always required (it cannot fail unanswered)."""
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(_("A checklist needs a list of at least one item."), code="invalid_checklist")
    if len(raw) > MAX_ITEMS:
        raise InvalidInput(
            _("A checklist has at most %(count)d items.") % {"count": MAX_ITEMS}, code="invalid_checklist"
        )
    problems = _Problems()
    items: list[ItemSpec] = []
    for index, entry in enumerate(raw):
        item = _item(entry, index, problems)
        if item is None:
            continue
        if any(other.key == item.key for other in items):
            problems.add(item.key, _("the key appears twice."))
            continue
        items.append(item)
    problems.raise_if_any(_("The checklist cannot be saved:"), "invalid_checklist")
    return items


# --- Checking answers -------------------------------------------------------------------------------


def _photo_answer(
    item: ItemSpec, value: Any, declared: Mapping[str, str], problems: _Problems
) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(item.key, _("the answer must be a list of photo UUIDs."), "wrong_type")
        return None
    if len(value) > MAX_PHOTOS_PER_ITEM:
        problems.add(
            item.key, _("at most %(count)d photos per item.") % {"count": MAX_PHOTOS_PER_ITEM}, "too_many"
        )
        return None
    photos: list[str] = []
    for raw in value:
        try:
            photo = str(uuid.UUID(raw))
        except ValueError:
            problems.add(item.key, _("%(value)r is not a photo UUID.") % {"value": raw[:50]}, "wrong_type")
            return None
        if declared.get(photo) != item.key:
            problems.add(
                item.key,
                _("photo %(photo)s is not declared in photos for this item.") % {"photo": photo},
                "undeclared_photo",
            )
            return None
        if photo in photos:
            problems.add(
                item.key, _("photo %(photo)s is listed twice.") % {"photo": photo}, "duplicate_photo"
            )
            return None
        photos.append(photo)
    return photos


def _answer(item: ItemSpec, value: Any, declared: Mapping[str, str], problems: _Problems) -> Any:
    """The answer in its stored form, or None after recording why it is wrong."""
    if item.type == ItemType.YES_NO:
        if not isinstance(value, bool):
            problems.add(item.key, _("the answer must be true or false."), "wrong_type")
            return None
        return value
    if item.type == ItemType.SCORE:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= (item.max_score or 0):
            problems.add(
                item.key,
                _("the answer must be a whole number from 0 to %(max)d.") % {"max": item.max_score},
                "wrong_type",
            )
            return None
        return value
    if item.type == ItemType.NUMBER:
        if _number(value) is None:
            problems.add(item.key, _("the answer must be a number."), "wrong_type")
            return None
        return value
    if item.type == ItemType.TEXT:
        if not isinstance(value, str):
            problems.add(item.key, _("the answer must be text."), "wrong_type")
            return None
        if len(value) > MAX_TEXT_ANSWER:
            problems.add(
                item.key,
                _("the text is longer than %(count)d characters.") % {"count": MAX_TEXT_ANSWER},
                "too_long",
            )
            return None
        return value
    if item.type == ItemType.CHOICE:
        allowed = [c.value for c in item.choices]
        if not isinstance(value, str) or value not in allowed:
            problems.add(
                item.key,
                _("the answer must be one of %(values)s.") % {"values": ", ".join(allowed)},
                "wrong_type",
            )
            return None
        return value
    return _photo_answer(item, value, declared, problems)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def check_answers(
    items: Sequence[ItemSpec], answers: Any, declared_photos: Mapping[str, str]
) -> dict[str, Any]:
    """The answers in their stored form, keyed by item, unanswered ones left out.

    `declared_photos` maps each declared photo UUID to its item key. Raises InvalidInput listing every
    unknown item, missing required answer or photo, wrong type, and photo not accounted for.
    """
    if not isinstance(answers, dict):
        raise InvalidInput(_("answers must be an object keyed by item."), code="invalid_answers")
    problems = _Problems()
    by_key = {item.key: item for item in items}
    for key in answers:
        if key not in by_key:
            problems.add(str(key)[:60], _("there is no such item in this checklist."), "unknown_item")
    for photo, key in declared_photos.items():
        target = by_key.get(key)
        if target is None or target.type != ItemType.PHOTO:
            problems.add(
                key,
                _("photo %(photo)s is declared for an item that is not a photo item.") % {"photo": photo},
                "unknown_item",
            )
    cleaned: dict[str, Any] = {}
    for item in items:
        value = answers.get(item.key)
        if _is_empty(value):
            if item.required:
                message = (
                    _("a photo is required.") if item.type == ItemType.PHOTO else _("an answer is required.")
                )
                problems.add(item.key, message, "required")
            continue
        stored = _answer(item, value, declared_photos, problems)
        if stored is not None:
            cleaned[item.key] = stored
    for photo, key in declared_photos.items():
        if key in by_key and by_key[key].type == ItemType.PHOTO and photo not in cleaned.get(key, []):
            problems.add(
                key,
                _("photo %(photo)s is declared but not in this item's answer.") % {"photo": photo},
                "undeclared_photo",
            )
    problems.raise_if_any(_("The checklist answers are not accepted:"), "invalid_answers")
    return cleaned
