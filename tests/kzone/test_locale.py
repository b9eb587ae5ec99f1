"""Korean first: K-Zone's own catalogue (apps/kzone/locale) is complete and compiled, and the
pages and the rule-based feedback speak it."""

from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parents[2] / "apps" / "kzone" / "locale"


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


def test_rule_based_feedback_is_written_in_the_learners_language():
    from apps.kzone import alignment, feedback

    comparison = alignment.compare("nice to meet you", "nice to you")
    stt = {"english_only": True, "backend_label": "CPU: Whisper tiny.en (English only)"}
    ko = feedback.voice_rules(comparison, stt=stt, content_language="ko", language="ko", score=70)
    en = feedback.voice_rules(comparison, stt=stt, content_language="ko", language="en", score=70)
    assert ko.startswith("점수 70 / 100") and "“meet”" in ko and "영어만" in ko
    assert en.startswith("Score 70 / 100") and "English only" in en
