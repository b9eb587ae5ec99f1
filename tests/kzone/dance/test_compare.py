"""compare() on synthetic dances whose differences are known."""

from __future__ import annotations

import json
import math

import pytest

from apps.kzone.dance import PARTS, DanceComparison, DanceInputError, compare

from .synthetic import motion, track


def wandering(t: float) -> dict:
    # The dancer walks across the picture and towards the camera while dancing.
    return {"centre": (180 + 60 * t, 330 - 5 * t), "scale": 60 + 12 * t}


def test_the_same_dance_filmed_elsewhere_in_the_frame_and_nearer_scores_the_maximum():
    result = compare(track(), track(placement=wandering))
    assert result.score == 100.0
    assert all(result.parts[part] == 100.0 for part in PARTS)
    assert result.take_missing == [] and result.reference_missing == []


def test_a_slower_take_of_the_same_dance_aligns_in_time():
    reference = track(seconds=4.0)
    slower = track(seconds=6.0, speed=4.0 / 6.0)  # the same moves over 6 s
    result = compare(reference, slower)
    assert result.score >= 97
    assert result.tempo == pytest.approx(1.5, abs=0.05)
    # Take frame j (at j/10 s) shows the reference's moment j/10/1.5 s, frame j/1.5.
    for j, i in enumerate(result.alignment):
        assert abs(i - j / 1.5) <= 2


def test_a_late_start_is_warped_away_within_the_band_and_reported_as_lag():
    reference = track(seconds=4.0)
    late = track(seconds=5.0, pose=lambda t: motion(max(0.0, t - 1.0)))  # stands still for 1 s
    result = compare(reference, late)
    assert result.score == 100.0
    assert [beat.lag for beat in result.beats[1:]] == [1.0, 1.0, 1.0, 1.0]
    # A band of 2% (one frame either side of the diagonal) cannot absorb a second's delay.
    assert compare(reference, late, band=0.02).score < 90


def test_a_different_dance_a_mirrored_one_and_a_reversed_one_score_lower():
    reference = track()
    same = compare(reference, track(placement=wandering)).score
    other = compare(reference, track(pose=lambda t: motion(t, phase=math.pi))).score
    mirrored = compare(reference, reference.mirrored()).score
    backwards = track()
    backwards = type(backwards)(backwards.timestamps, backwards.keypoints[::-1], backwards.width, backwards.height)
    reversed_ = compare(reference, backwards).score
    assert same == 100.0
    # Measured: another dance (the same moves half a cycle later) 78.7, the mirror 69.6, the
    # reversal 74.2.
    assert other < 85 and mirrored < 80 and reversed_ < 80
    # Danced facing the learner: the mirrored reference is the thing to compare with.
    assert compare(reference.mirrored(), reference.mirrored()).score == 100.0


def test_the_weakest_segment_names_the_body_part_and_the_time_that_went_wrong():
    def wrong_left_arm(t: float) -> dict:
        moves = motion(t)
        if 2.0 <= t < 3.0:
            moves["left_arm"] = (moves["left_arm"][0] - 90, moves["left_arm"][1])
        return moves

    result = compare(track(), track(pose=wrong_left_arm))
    worst = result.weakest[0]
    assert (worst.part, worst.start, worst.end) == ("left_arm", 2.0, 3.0)
    assert worst.score < 40 and 20 <= worst.take_frame < 30
    assert worst.reference_frame is not None and abs(worst.reference_frame - worst.take_frame) <= 3
    assert 1.5 <= worst.reference_start <= 2.2 and 2.7 <= worst.reference_end <= 3.2
    beats = {beat.index: beat for beat in result.beats}
    assert beats[2].parts["left_arm"] < 40 and beats[2].parts["right_arm"] == 100.0
    assert all(beats[i].score == 100.0 for i in (0, 1, 3))
    assert result.parts["left_arm"] < result.parts["right_arm"] == 100.0


def test_beats_follow_the_tempo_and_default_to_seconds():
    take = track(seconds=4.0)
    assert [(b.start, b.end) for b in compare(take, take).beats] == [(0, 1), (1, 2), (2, 3), (3, 4)]
    at_120 = compare(take, take, bpm=120)
    assert at_120.beat_seconds == 0.5 and len(at_120.beats) == 8
    assert at_120.beats[3].start == 1.5 and at_120.beats[3].end == 2.0
    assert all(b.lag == 0 for b in at_120.beats)


def test_a_learner_out_of_the_picture_misses_those_beats_and_no_person_anywhere_is_an_error():
    reference = track(seconds=4.0)
    absent = set(range(20, 30))  # the third second
    result = compare(reference, track(seconds=4.0, absent=absent))
    assert result.take_missing == [round(i / 10, 3) for i in sorted(absent)]
    assert result.alignment[20:30] == [None] * 10
    third = result.beats[2]
    assert third.present == 0 and third.score == 0 and all(third.parts[p] == 0 for p in PARTS)
    gap = result.weakest[0]
    assert (gap.part, gap.start, gap.end) == ("whole_body", 2.0, 3.0) and 20 <= gap.take_frame < 30
    # Absent, the learner still gets the reference's pose of that moment to look at: at the
    # lag they danced at when last seen (none), the reference frame of the same time.
    assert gap.reference_frame == gap.take_frame == 25 and gap.reference_start == gap.reference_end == 2.5
    late = compare(reference, track(seconds=4.0, absent=set(range(10)))).weakest[0]  # came in after 1 s

    # Out of the picture for part of a beat: the segment still names the part, and the frame
    # to draw is one the learner is in.
    def wrong_left_arm(t: float) -> dict:
        moves = motion(t)
        return {**moves, "left_arm": (moves["left_arm"][0] - 90, moves["left_arm"][1])} if t >= 2 else moves

    partly = compare(reference, track(seconds=4.0, pose=wrong_left_arm, absent={20, 21, 22}), weakest=4)
    worst = next(w for w in partly.weakest if w.start == 2.0)
    assert worst.part == "left_arm" and 23 <= worst.take_frame < 30
    assert (late.part, late.start, late.take_frame, late.reference_frame) == ("whole_body", 0.0, 5, 5)
    # Three seconds of four danced perfectly; the frames either side of the gap are aligned
    # with the reference's moves the learner missed too, hence a little under 75.
    assert 72 <= result.score <= 75

    gaps = compare(track(seconds=4.0, absent={5, 6, 7}), track(seconds=4.0))
    # The take's frames at 0.5–0.7 s are matched with the nearest reference frames seen.
    assert gaps.reference_missing == [0.5, 0.6, 0.7] and gaps.score >= 98

    with pytest.raises(DanceInputError, match="no person was found in any frame") as error:
        compare(reference, track(seconds=1.0, absent=set(range(10))))
    assert error.value.field == "take"
    with pytest.raises(DanceInputError) as error:
        compare(track(seconds=1.0, absent=set(range(10))), reference)
    assert error.value.field == "reference"


def test_parts_neither_video_saw_are_left_out_not_scored():
    reference, take = track(seconds=2.0), track(seconds=2.0, pose=lambda t: motion(t, phase=1.0))
    for points in reference.keypoints + take.keypoints:
        for leg in (23, 25, 27, 24, 26, 28):
            points[leg][3] = 0.1  # a waist-up video: the legs are guesses
        points[23][3] = points[24][3] = 0.99  # hips still seen
    result = compare(reference, take)
    assert result.parts["left_leg"] is None and result.parts["right_leg"] is None
    assert result.parts["torso"] is not None and all(b.parts["left_leg"] is None for b in result.beats)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"bpm": 10}, "bpm"), ({"bpm": 400}, "bpm"), ({"band": 0}, "band"), ({"weakest": -1}, "weakest")],
)
def test_bad_options_are_refused_naming_them(kwargs, field):
    with pytest.raises(DanceInputError) as error:
        compare(track(seconds=1.0), track(seconds=1.0), **kwargs)
    assert error.value.field == field


def test_the_comparison_is_json_and_comes_back_from_it():
    result = compare(track(), track(placement=wandering, model="mediapipe"), bpm=90)
    data = json.loads(result.to_json())
    assert data["engine"] == "kzone-dance/dtw-joint-angles-1" and data["models"]["take"] == "mediapipe"
    assert set(data["parts"]) == set(PARTS) and data["weakest"][0]["take_frame"] >= 0
    assert DanceComparison.from_dict(data) == result


def test_single_frames_compare_too():
    one = track(seconds=0.1)
    result = compare(one, one)
    assert (result.score, result.tempo, len(result.beats)) == (100.0, None, 1)
    against_many = compare(track(seconds=2.0), one)
    assert against_many.alignment == [10] and 0 < against_many.score <= 100
    assert compare(one, track(seconds=2.0)).alignment == [0] * 20
