"""Request-body parsers of the REST API."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class JSONBodyParser(JSONParser):
    """JSON bodies; one nested deeper than Python's decoder can follow is bad JSON, not a server error.

    A body larger than DATA_UPLOAD_MAX_MEMORY_SIZE is refused before it is decoded (DRF reads the
    request stream itself, where Django's limit is not applied): a GeoJSON of millions of vertices
    is a 413, never a few hundred megabytes of Python lists. DRF's strict mode already refuses the
    bare NaN / Infinity literals. Text no field can hold is
    refused here too: a NUL character (PostgreSQL text cannot contain it) and an unpaired surrogate
    escape such as "\\ud800" (not a character, so it cannot be written as UTF-8).
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None:
            raw = stream.read(limit + 1)
            if len(raw) > limit:
                raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
            stream = io.BytesIO(raw)
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The JSON is nested too deeply.")) from None
        check_json_text(data)
        return data


def check_json_text(data: Any) -> None:
    """ParseError when any key or string of a decoded JSON document holds a NUL or a lone surrogate.

    Walks without recursion: the nesting depth is the sender's.
    """
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                raise ParseError(
                    _("A text value contains a NUL character (\\u0000), which no field may hold.")
                )
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ParseError(
                    _(
                        "A text value contains an unpaired surrogate escape (such as \\ud800), which is not a character."
                    )
                ) from None
