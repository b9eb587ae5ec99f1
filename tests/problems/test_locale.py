"""Korean first: the problems app's own catalogue (apps/problems/locale) is complete and
compiled (tests/core/test_locale.py checks the project's)."""

from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parents[2] / "apps" / "problems" / "locale"


@pytest.mark.parametrize("language", ["ko", "en"])
def test_catalogue_is_compiled_from_its_source(language):
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    mo = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in mo}
    for entry in po.translated_entries():
        assert (entry.msgctxt, entry.msgid) in compiled, f"run compilemessages: {entry.msgid!r} is not in {language}.mo"


def test_every_message_has_a_korean_translation():
    po = polib.pofile(str(LOCALE / "ko" / "LC_MESSAGES" / "django.po"))
    assert [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)] == []
    assert po.find("Rule-based: rubric keywords (not an AI model)").msgstr.endswith("(AI 모델 아님)")
