"""The Arabic catalogue is complete and faithful: every string translated, placeholders kept."""

from __future__ import annotations

import ast
import re
from collections import Counter

from tests.conftest import REPO_ROOT

CATALOGUE = REPO_ROOT / "geo_services" / "locale" / "ar" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdr]")


def entries() -> list[tuple[str, str]]:
    """(msgid, msgstr) pairs of the catalogue, header left out."""
    pairs: list[tuple[str, str]] = []
    current: dict[str, str] = {}
    key = None
    for line in [*CATALOGUE.read_text().splitlines(), ""]:
        if line.startswith(("msgid ", "msgstr ")):
            key, _, literal = line.partition(" ")
            current[key] = ast.literal_eval(literal)
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
        elif not line.strip():
            if current.get("msgid"):
                pairs.append((current["msgid"], current.get("msgstr", "")))
            current, key = {}, None
    return pairs


def test_every_message_has_an_arabic_translation():
    found = entries()
    assert len(found) > 100
    assert [msgid for msgid, msgstr in found if not msgstr] == []
    assert "#, fuzzy" not in CATALOGUE.read_text()


def test_translations_keep_every_placeholder():
    wrong = [
        msgid
        for msgid, msgstr in entries()
        if Counter(PLACEHOLDER.findall(msgid)) != Counter(PLACEHOLDER.findall(msgstr))
    ]
    assert wrong == []
