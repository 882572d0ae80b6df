"""The Arabic catalogue is complete: no string a person sees is left untranslated."""

from __future__ import annotations

from tests.conftest import REPO_ROOT

CATALOGUE = REPO_ROOT / "geo_services" / "locale" / "ar" / "LC_MESSAGES" / "django.po"


def test_every_message_has_an_arabic_translation():
    lines = CATALOGUE.read_text().splitlines()
    untranslated = []
    for index, line in enumerate(lines):
        next_line = lines[index + 1] if index + 1 < len(lines) else ""
        if line == 'msgstr ""' and not next_line.startswith('"') and index > 10:
            untranslated.append(lines[index - 1])
    assert untranslated == []
    assert "#, fuzzy" not in CATALOGUE.read_text()
