"""overlay_png draws both skeletons where they belong."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from apps.kzone.dance import DanceInputError, normalise, overlay_png
from apps.kzone.dance.overlay import HIGHLIGHT, REFERENCE_COLOUR, TAKE_COLOUR

from .synthetic import figure

W, H = 640, 480


def jpeg(size=(W, H)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (128, 128, 128)).save(out, format="JPEG")
    return out.getvalue()


def colour_near(image: Image.Image, point, colour, radius: int = 4) -> bool:
    x, y = round(point[0]), round(point[1])
    pixels = np.asarray(image.convert("RGB"), dtype=int)[y - radius : y + radius + 1, x - radius : x + radius + 1]
    return bool((np.abs(pixels - np.array(colour)).sum(axis=2) < 60).any())


def test_the_reference_is_drawn_on_the_learners_body_and_the_take_where_it_is():
    take = figure(left_arm=(20, 10), centre=(300, 330), scale=110)
    # The reference was filmed in 1280x720 with the dancer small and off to the side, arm up.
    reference = figure(left_arm=(150, 0), centre=(1000, 500), scale=150, width=1280, height=720)
    png = overlay_png(jpeg(), reference, take, reference_size=(1280, 720))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (W, H)
    take_wrist = np.array(take[15][:2]) * [W, H]
    assert colour_near(image, take_wrist, TAKE_COLOUR)
    # Where the reference's wrist lands: its normalised pose on the take's hips and torso.
    wrist = normalise(reference, 1280, 720)[15] * 110 + np.array([300, 330])
    assert colour_near(image, wrist, REFERENCE_COLOUR)
    assert not colour_near(image, wrist, TAKE_COLOUR) and not colour_near(image, take_wrist, REFERENCE_COLOUR)


def test_the_weak_part_is_highlighted_and_guessed_landmarks_are_not_drawn():
    # Both arms held out to their sides, so nothing else is drawn near them.
    take = figure(left_arm=(-60, 10), right_arm=(60, -10), centre=(300, 330), scale=110)
    take[27][3] = 0.1  # left ankle out of the picture
    image = Image.open(io.BytesIO(overlay_png(jpeg(), [], take, part="left_arm")))
    elbow, wrist = (np.array(take[i][:2]) * [W, H] for i in (13, 15))
    assert colour_near(image, (elbow + wrist) / 2, HIGHLIGHT)
    right_forearm = (np.array(take[14][:2]) + np.array(take[16][:2])) / 2 * [W, H]
    assert colour_near(image, right_forearm, TAKE_COLOUR) and not colour_near(image, right_forearm, HIGHLIGHT)
    shin = (np.array(take[25][:2]) + np.array(take[27][:2])) / 2 * [W, H]
    assert not colour_near(image, shin, TAKE_COLOUR)
    thigh = (np.array(take[23][:2]) + np.array(take[25][:2])) / 2 * [W, H]
    assert colour_near(image, thigh, TAKE_COLOUR)


def test_with_no_learner_in_the_picture_the_reference_stands_in_the_middle():
    reference = figure(centre=(100, 400), scale=50)
    image = Image.open(io.BytesIO(overlay_png(jpeg(), reference, [])))
    points = normalise(reference, W, H) * (H / 4) + np.array([W / 2, H * 0.6])
    assert colour_near(image, (points[11] + points[23]) / 2, REFERENCE_COLOUR)  # the left side of the torso
    assert not colour_near(image, np.array(reference[11][:2]) * [W, H], REFERENCE_COLOUR)


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [
        ((b"not a jpeg", [], []), {}, "frame_jpeg"),
        ((jpeg(), [[0, 0, 0, 1]] * 5, []), {}, "reference_keypoints"),
        ((jpeg(), [], [[0, 0, 0, 1]] * 5), {}, "take_keypoints"),
        ((jpeg(), [], []), {"part": "tail"}, "part"),
    ],
)
def test_bad_input_is_refused_naming_it(args, kwargs, field):
    with pytest.raises(DanceInputError) as error:
        overlay_png(*args, **kwargs)
    assert error.value.field == field
