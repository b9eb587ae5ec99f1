"""The comparison of a transcript with its target: CER, per-word match, timing, pacing."""

from __future__ import annotations

import pytest

from apps.kzone import alignment


def test_identical_text_scores_full_marks_whatever_the_punctuation_and_case():
    out = alignment.compare("Nice to meet you, my name is Mina.", "nice to meet you my name is mina")
    assert out["cer"] == 0 and out["word_accuracy"] == 1
    assert [w["status"] for w in out["words"]] == ["match"] * 8
    assert alignment.accuracy_score(out) == 100


def test_missed_wrong_close_and_extra_words_are_told_apart():
    out = alignment.compare("we shine brighter when we dance together", "we shine bright when they dance um together")
    statuses = {w["word"]: w["status"] for w in out["words"]}
    assert statuses["brighter"] == "close"  # "bright": most of its letters
    assert out["words"][4] == {**out["words"][4], "word": "we", "status": "wrong", "heard": "they"}
    assert [w["word"] for w in out["extra_words"]] == ["um"]
    out = alignment.compare("nice to meet you", "nice you")
    assert [w["status"] for w in out["words"]] == ["match", "missed", "missed", "match"]
    assert out["cer"] == pytest.approx(len("tomeet") / len("nicetomeetyou"), abs=1e-4)


def test_korean_is_compared_by_syllable():
    assert alignment.cer("만나서 반갑습니다", "만나서 반갑습니다!") == 0
    assert alignment.cer("만나서 반갑습니다", "만나서 반값습니다") == pytest.approx(1 / 8)


def test_word_times_come_from_the_transcribers_words_or_are_estimated_from_segments():
    given = [
        {
            "start": 0.0,
            "end": 2.0,
            "text": "nice to",
            "words": [{"start": 0.1, "end": 0.5, "word": " nice"}, {"start": 1.4, "end": 1.7, "word": " to"}],
        }
    ]
    out = alignment.compare("nice to", "nice to", given, 2.0)
    assert [(w["start"], w["end"]) for w in out["words"]] == [(0.1, 0.5), (1.4, 1.7)]
    assert out["times_estimated"] is False
    assert out["timing"]["pauses"] == [{"at": 0.5, "seconds": 0.9}]
    estimated = alignment.compare("nice to meet", "nice to meet", [{"start": 1.0, "end": 2.2, "text": "nice to meet"}])
    assert estimated["times_estimated"] is True and estimated["words"][0]["start"] == 1.0
    assert estimated["words"][-1]["end"] == pytest.approx(2.2)
    assert estimated["timing"]["words_per_minute"] == pytest.approx(3 / 1.2 * 60, abs=0.1)


def test_timing_score_against_the_reference_length():
    assert alignment.timing_score(3.0, 3.0) == 100
    assert alignment.timing_score(4.5, 3.0) == 0
    assert alignment.timing_score(3.3, 3.0) == 80
    assert alignment.timing_score(3.0, None) is None


def test_nothing_heard_scores_zero_and_an_empty_target_is_not_a_division_by_zero():
    out = alignment.compare("nice to meet you", "")
    assert out["cer"] == 1 and alignment.accuracy_score(out) == 0
    assert alignment.cer("", "") == 0 and alignment.cer("", "x") == 1
