"""The skeleton overlay for a weak segment: the reference's pose drawn over the learner's
frame next to the learner's own, so the difference is visible at a glance."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, UnidentifiedImageError

from .errors import DanceInputError
from .pose import (
    L_ANKLE,
    L_ELBOW,
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    L_WRIST,
    LANDMARKS,
    NOSE,
    PARTS,
    R_ANKLE,
    R_ELBOW,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
    R_WRIST,
    VISIBLE,
    normalise,
    pixel_points,
)

REFERENCE_COLOUR = (0, 200, 255)  # cyan: where the body should be
TAKE_COLOUR = (255, 120, 0)  # orange: where it is
HIGHLIGHT = (255, 40, 40)  # the weak part of the take
# Bones per body part (MediaPipe landmark indices); "head" is drawn but never highlighted.
BONES = {
    "left_arm": [(L_SHOULDER, L_ELBOW), (L_ELBOW, L_WRIST)],
    "right_arm": [(R_SHOULDER, R_ELBOW), (R_ELBOW, R_WRIST)],
    "left_leg": [(L_HIP, L_KNEE), (L_KNEE, L_ANKLE)],
    "right_leg": [(R_HIP, R_KNEE), (R_KNEE, R_ANKLE)],
    "torso": [(L_SHOULDER, R_SHOULDER), (L_HIP, R_HIP), (L_SHOULDER, L_HIP), (R_SHOULDER, R_HIP)],
}
HEAD = -1  # the shoulders' midpoint, joined to the nose


def overlay_png(
    frame_jpeg: bytes,
    reference_keypoints: Sequence[Sequence[float]],
    take_keypoints: Sequence[Sequence[float]],
    *,
    reference_size: tuple[int, int] | None = None,
    part: str | None = None,
) -> bytes:
    """A PNG of the take's frame (darkened) with the take's skeleton in orange and the
    reference's in cyan. The reference pose is moved and scaled onto the learner's body
    (hips on hips, same torso length, not rotated, so a lean still shows); `reference_size`
    is the reference video's width and height (default: the take frame's) for its
    landmarks' aspect ratio. `part` (a body part of compare()'s) is drawn thicker and red
    in the take. Either pose may be `[]` (no person); landmarks seen with visibility under
    0.7 (guesses) are not drawn."""
    if part is not None and part not in PARTS and part != "whole_body":
        raise DanceInputError("part", f"must be one of {', '.join(PARTS)}, got {part!r}")
    try:
        image = Image.open(io.BytesIO(frame_jpeg))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DanceInputError("frame_jpeg", "not an image") from exc
    width, height = image.size
    for name, points in (("reference_keypoints", reference_keypoints), ("take_keypoints", take_keypoints)):
        if points and np.asarray(points, dtype=float).shape != (LANDMARKS, 4):
            raise DanceInputError(name, "expected 33 landmarks of [x, y, z, visibility] or [] (no person)")
    canvas = Image.blend(image.convert("RGB"), Image.new("RGB", image.size), 0.35)
    draw = ImageDraw.Draw(canvas)
    thickness = max(2, round(min(width, height) / 120))

    take_points = pixel_points(take_keypoints, width, height) if take_keypoints else None
    if reference_keypoints:
        ref_width, ref_height = reference_size or (width, height)
        shape = normalise(reference_keypoints, ref_width, ref_height)
        if shape is not None:
            hips, torso = _anchor(take_points, width, height)
            visible = np.asarray(reference_keypoints, dtype=float)[:, 3]
            _skeleton(draw, shape * torso + hips, visible, REFERENCE_COLOUR, thickness, None)
    if take_points is not None:
        visible = np.asarray(take_keypoints, dtype=float)[:, 3]
        _skeleton(draw, take_points, visible, TAKE_COLOUR, thickness, part)
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _anchor(take_points: np.ndarray | None, width: int, height: int) -> tuple[np.ndarray, float]:
    """Where the reference's hips go and how long its torso is drawn: the learner's, or with
    no learner in the picture, the middle of the frame at a quarter of its height."""
    if take_points is not None:
        hips = take_points[[L_HIP, R_HIP]].mean(axis=0)
        torso = float(np.linalg.norm(take_points[[L_SHOULDER, R_SHOULDER]].mean(axis=0) - hips))
        if torso >= 4:
            return hips, torso
    return np.array([width / 2, height * 0.6]), height / 4


def _skeleton(draw, points: np.ndarray, visible: np.ndarray, colour, thickness: int, part: str | None) -> None:
    neck = points[[L_SHOULDER, R_SHOULDER]].mean(axis=0)
    bones = [(name, a, b) for name, pairs in BONES.items() for a, b in pairs] + [("head", HEAD, NOSE)]
    for name, a, b in bones:
        if visible[b] < VISIBLE or (a != HEAD and visible[a] < VISIBLE):
            continue
        start = neck if a == HEAD else points[a]
        weak = name == part or part == "whole_body"
        draw.line(
            [tuple(start), tuple(points[b])],
            fill=HIGHLIGHT if weak else colour,
            width=thickness * 2 if weak else thickness,
        )
    radius = thickness * 1.2
    for index in {i for pairs in BONES.values() for pair in pairs for i in pair} | {NOSE}:
        if visible[index] >= VISIBLE:
            x, y = points[index]
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colour)
