"""Korean first: the rule-based feedback speaks the learner's language (tests/core/test_locale.py
checks that K-Zone's own catalogue, apps/kzone/locale, is complete and compiled)."""


def test_rule_based_feedback_is_written_in_the_learners_language():
    from apps.kzone import alignment, feedback

    comparison = alignment.compare("nice to meet you", "nice to you")
    stt = {"english_only": True, "backend_label": "CPU: Whisper tiny.en (English only)"}
    ko = feedback.voice_rules(comparison, stt=stt, content_language="ko", language="ko", score=70)
    en = feedback.voice_rules(comparison, stt=stt, content_language="ko", language="en", score=70)
    assert ko.startswith("점수 70 / 100") and "“meet”" in ko and "영어만" in ko
    assert en.startswith("Score 70 / 100") and "English only" in en
