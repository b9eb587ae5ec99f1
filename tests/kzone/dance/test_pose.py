"""Normalisation and joint angles on synthetic keypoints whose angles are known."""

from __future__ import annotations

import numpy as np
import pytest

from apps.kzone.dance import ANGLE_NAMES, DanceInputError, PoseTrack, joint_angles, normalise

from .synthetic import HEIGHT, WIDTH, figure

ORIENTATIONS = {"left_upper_arm", "right_upper_arm", "left_thigh", "right_thigh", "torso_lean"}


def angles_of(points, width=WIDTH, height=HEIGHT) -> dict[str, float]:
    track = PoseTrack([0.0], [points], width, height)
    return dict(zip(ANGLE_NAMES, joint_angles(track).degrees[0], strict=True))


def test_normalise_centres_on_the_hips_and_scales_by_the_torso():
    points = normalise(figure(centre=(200, 310), scale=90), WIDTH, HEIGHT)
    hips = points[[23, 24]].mean(axis=0)
    shoulders = points[[11, 12]].mean(axis=0)
    assert np.allclose(hips, 0, atol=1e-9)
    assert np.isclose(np.linalg.norm(shoulders - hips), 1.0)
    assert shoulders[1] < 0  # y still points down: the shoulders are above the hips


def test_normalised_keypoints_and_angles_ignore_where_the_dancer_stands_and_how_big():
    pose = {"left_arm": (100, 45), "right_arm": (-30, -80), "left_leg": (25, 40), "lean": 12}
    near = figure(**pose, centre=(320, 330), scale=120)
    far = figure(**pose, centre=(150, 200), scale=35)
    assert np.allclose(normalise(near, WIDTH, HEIGHT), normalise(far, WIDTH, HEIGHT), atol=1e-9)
    a, b = angles_of(near), angles_of(far)
    assert all(np.isclose(a[name], b[name], atol=1e-6) for name in ANGLE_NAMES)


def test_the_same_pose_in_a_portrait_video_gives_the_same_angles():
    pose = {"left_arm": (100, 45), "right_arm": (-30, -80), "lean": -8}
    landscape = angles_of(figure(**pose, width=640, height=360, centre=(320, 250), scale=80), 640, 360)
    portrait = angles_of(figure(**pose, width=360, height=640, centre=(180, 400), scale=80), 360, 640)
    assert all(np.isclose(landscape[n], portrait[n], atol=1e-6) for n in ANGLE_NAMES)


def test_joint_angles_are_the_ones_the_figure_was_built_with():
    a = angles_of(figure(left_arm=(100, 45), right_arm=(-30, -80), left_leg=(25, 40), lean=0))
    assert a["left_elbow"] == pytest.approx(45, abs=1e-6)
    assert a["right_elbow"] == pytest.approx(-80, abs=1e-6)
    assert a["left_knee"] == pytest.approx(40, abs=1e-6)
    assert a["torso_lean"] == pytest.approx(0, abs=1e-6)
    assert a["neck"] == pytest.approx(0, abs=1e-6)


def test_leaning_turns_the_orientations_only():
    upright = angles_of(figure(lean=0))
    leaning = angles_of(figure(lean=25))
    for name in ANGLE_NAMES:
        difference = (leaning[name] - upright[name] + 180) % 360 - 180
        assert difference == pytest.approx(25 if name in ORIENTATIONS else 0, abs=1e-6), name


def test_a_mirror_image_swaps_sides_and_flips_every_angle():
    track = PoseTrack([0.0], [figure(left_arm=(100, 45), right_arm=(-30, -80), lean=12)], WIDTH, HEIGHT)
    original = dict(zip(ANGLE_NAMES, joint_angles(track).degrees[0], strict=True))
    mirrored = dict(zip(ANGLE_NAMES, joint_angles(track.mirrored()).degrees[0], strict=True))
    assert mirrored["left_elbow"] == pytest.approx(-original["right_elbow"], abs=1e-6)
    assert mirrored["right_upper_arm"] == pytest.approx(-original["left_upper_arm"], abs=1e-6)
    assert mirrored["torso_lean"] == pytest.approx(-original["torso_lean"], abs=1e-6)
    assert np.allclose(track.mirrored().mirrored().keypoints, track.keypoints, atol=1e-12)


def test_frames_with_no_person_or_a_collapsed_torso_are_marked_missing_not_guessed():
    collapsed = figure(scale=1.0)  # shoulders 1 px above the hips: a failed detection
    track = PoseTrack([0.0, 0.1, 0.2], [figure(), [], collapsed], WIDTH, HEIGHT)
    angles = joint_angles(track)
    assert angles.present.tolist() == [True, False, False]
    assert np.isnan(angles.degrees[1:]).all() and not np.isnan(angles.degrees[0]).any()
    assert normalise([], WIDTH, HEIGHT) is None


def test_guessed_landmarks_carry_their_visibility():
    points = figure()
    points[13][3] = 0.2  # the left elbow out of the picture
    angles = joint_angles(PoseTrack([0.0], [points], WIDTH, HEIGHT))
    visibility = dict(zip(ANGLE_NAMES, angles.visibility[0], strict=True))
    assert visibility["left_elbow"] == pytest.approx(0.2) and visibility["left_upper_arm"] == pytest.approx(0.2)
    assert visibility["right_elbow"] == pytest.approx(0.99)


@pytest.mark.parametrize(
    ("track", "field", "words"),
    [
        (PoseTrack([0.0, 0.1], [[], [[0.5, 0.5, 0, 1]] * 17], WIDTH, HEIGHT), "take.keypoints[1]", "33 landmarks"),
        (PoseTrack([0.0, 0.1], [[]], WIDTH, HEIGHT), "take", "2 timestamps but 1 frames"),
        (PoseTrack([0.0, 0.0], [[], []], WIDTH, HEIGHT), "take.timestamps", "increasing"),
        (PoseTrack([0.0], [[["x", 0, 0, 1]] * 33], WIDTH, HEIGHT), "take.keypoints[0]", "numbers"),
        (PoseTrack([0.0], [[[float("nan"), 0, 0, 1]] * 33], WIDTH, HEIGHT), "take.keypoints[0]", "finite"),
        (PoseTrack([0.0], [[]], 0, HEIGHT), "take.width", "positive"),
        (PoseTrack([], [], WIDTH, HEIGHT), "take", "no frames"),
    ],
)
def test_malformed_tracks_are_refused_naming_the_field(track, field, words):
    with pytest.raises(DanceInputError, match=words) as error:
        track.validate("take")
    assert error.value.field == field


def test_a_track_pairs_frames_with_pose_results_in_index_order_and_round_trips_through_json():
    import json

    from apps.kzone.dance import Frame

    frames = [Frame(0.0, b"", WIDTH, HEIGHT), Frame(0.1, b"", WIDTH, HEIGHT)]
    results = [{"index": 1, "keypoints": []}, {"index": 0, "keypoints": figure()}]
    track = PoseTrack.from_pose_frames(frames, results, model="m")
    assert [len(k) for k in track.keypoints] == [33, 0]
    assert PoseTrack.from_dict(json.loads(json.dumps(track.to_dict()))) == track
    with pytest.raises(DanceInputError, match="2 frames but 1 pose results"):
        PoseTrack.from_pose_frames(frames, results[:1])
    with pytest.raises(DanceInputError, match="not a pose track") as error:
        PoseTrack.from_dict({"timestamps": [0.0]})
    assert error.value.field == "reference"
