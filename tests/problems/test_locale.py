"""Korean first: the problems app's own catalogue (apps/problems/locale; tests/core/test_locale.py
checks that every catalogue is complete and compiled) labels the rule-based grader as such."""

from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parents[2] / "apps" / "problems" / "locale"


def test_the_rule_based_grader_says_it_is_not_an_ai_model():
    po = polib.pofile(str(LOCALE / "ko" / "LC_MESSAGES" / "django.po"))
    assert po.find("Rule-based: rubric keywords (not an AI model)").msgstr.endswith("(AI 모델 아님)")
