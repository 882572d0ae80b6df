"""Checking a request's answers to its category's questions (Open311 attribute datatypes)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from geo_services.core.errors import InvalidInput
from geo_services.service_requests.models import AttributeType, CategoryAttribute

MAX_TEXT = 4000


def _invalid(attribute: CategoryAttribute, message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_attribute", details={"attribute": attribute.code})


def _one_value(attribute: CategoryAttribute, values: list[str]) -> str:
    if len(values) != 1:
        raise _invalid(attribute, _("attribute[%(code)s] takes one value.") % {"code": attribute.code})
    return values[0].strip()


def clean_answers(attributes: Iterable[CategoryAttribute], raw: Mapping[str, list[str]]) -> dict[str, Any]:
    """The answers as typed values, keyed by attribute code; InvalidInput names the first problem."""
    by_code = {a.code: a for a in attributes}
    unknown = sorted(set(raw) - set(by_code))
    if unknown:
        raise InvalidInput(
            _("Unknown attribute(s) for this service: %(codes)s. Known: %(known)s.")
            % {"codes": ", ".join(unknown), "known": ", ".join(sorted(by_code)) or "-"},
            code="unknown_attribute",
        )
    answers: dict[str, Any] = {}
    for code, attribute in by_code.items():
        values = [v for v in raw.get(code, []) if str(v).strip() != ""]
        if not values:
            if attribute.required:
                raise _invalid(
                    attribute,
                    _("attribute[%(code)s] is required: %(question)s")
                    % {"code": code, "question": attribute.description_en},
                )
            continue
        answers[code] = _typed(attribute, [str(v) for v in values])
    return answers


def _typed(attribute: CategoryAttribute, values: list[str]) -> Any:
    code = attribute.code
    match attribute.datatype:
        case AttributeType.STRING | AttributeType.TEXT:
            text = _one_value(attribute, values)
            limit = 200 if attribute.datatype == AttributeType.STRING else MAX_TEXT
            if len(text) > limit:
                raise _invalid(
                    attribute,
                    _("attribute[%(code)s] is longer than %(limit)d characters.")
                    % {"code": code, "limit": limit},
                )
            return text
        case AttributeType.NUMBER:
            text = _one_value(attribute, values)
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                raise _invalid(
                    attribute,
                    _("attribute[%(code)s] must be a number, not %(value)r.") % {"code": code, "value": text},
                )
            return number
        case AttributeType.DATETIME:
            text = _one_value(attribute, values)
            try:
                moment = parse_datetime(text)
            except ValueError:
                moment = None
            if moment is None:
                raise _invalid(
                    attribute,
                    _(
                        "attribute[%(code)s] must be a date and time such as 2026-05-01T14:30:00+03:00, not %(value)r."
                    )
                    % {"code": code, "value": text},
                )
            return moment.isoformat()
        case AttributeType.SINGLE_VALUE_LIST:
            key = _one_value(attribute, values)
            if key not in attribute.value_keys:
                raise _invalid(
                    attribute,
                    _("attribute[%(code)s] must be one of %(keys)s, not %(value)r.")
                    % {"code": code, "keys": ", ".join(attribute.value_keys), "value": key},
                )
            return key
        case AttributeType.MULTI_VALUE_LIST:
            keys = [v.strip() for v in values]
            wrong = [k for k in keys if k not in attribute.value_keys]
            if wrong:
                raise _invalid(
                    attribute,
                    _("attribute[%(code)s] values must be among %(keys)s; %(wrong)s are not.")
                    % {"code": code, "keys": ", ".join(attribute.value_keys), "wrong": ", ".join(wrong)},
                )
            return sorted(set(keys), key=keys.index)
    raise _invalid(attribute, f"unknown datatype {attribute.datatype}")
