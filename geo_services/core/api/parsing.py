"""Parsing of the REST API's inputs (query strings and JSON bodies): typed values or InvalidInput
naming the parameter or field."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from geo_services.core.errors import InvalidInput

# PostgreSQL's bigint: a whole number given to a query (an id, an offset) must fit in it.
BIGINT_MAX = 2**63 - 1
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def parse_bool(raw: str | None, *, name: str) -> bool | None:
    if raw is None or raw == "":
        return None
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidInput(
        _("%(name)s must be true or false, not %(value)r.") % {"name": name, "value": raw[:50]}
    )


def parse_int(
    raw: object, *, name: str, default: int | None = None, minimum: int = 0, maximum: int | None = None
) -> int:
    if raw is None or raw == "":
        if default is None:
            raise InvalidInput(_("%(name)s is required.") % {"name": name}, code="missing_parameter")
        return default
    if isinstance(raw, bool):
        raise InvalidInput(_("%(name)s must be a whole number.") % {"name": name})
    try:
        value = int(str(raw).strip()) if not isinstance(raw, int) else raw
    except ValueError:
        raise InvalidInput(
            _("%(name)s must be a whole number, not %(value)r.") % {"name": name, "value": str(raw)[:50]}
        ) from None
    if maximum is None:
        maximum = BIGINT_MAX
    if value < minimum or value > maximum:
        raise InvalidInput(
            _("%(name)s must be between %(minimum)s and %(maximum)s.")
            % {"name": name, "minimum": minimum, "maximum": maximum},
            code="out_of_range",
        )
    return value


def parse_list(raw: str | None, *, name: str, allowed: set[str] | None = None) -> tuple[str, ...]:
    if not raw:
        return ()
    values = tuple(v.strip() for v in raw.split(",") if v.strip())
    if allowed is not None:
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise InvalidInput(
                _("%(name)s: unknown value(s) %(values)s; use %(allowed)s.")
                % {"name": name, "values": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))}
            )
    return values


def body_object(data: Any) -> dict[str, Any]:
    """The parsed request body, which must be a JSON object."""
    if not isinstance(data, dict):
        raise InvalidInput(_("The request body must be a JSON object."), code="invalid_body")
    return data


def text(body: dict[str, Any], name: str, *, max_length: int) -> str:
    """A text field of a JSON body: absent or null is empty; anything but a string is refused."""
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(_("%(name)s must be text.") % {"name": name})
    if len(value) > max_length:
        raise InvalidInput(
            _("%(name)s is longer than %(count)d characters.") % {"name": name, "count": max_length},
            code="too_long",
        )
    return value
