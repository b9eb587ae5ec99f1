"""Pose tracks (the pose server's keypoints per sampled frame), their normalisation and the
joint angles the comparison works on.

Keypoints follow pose_protocol.md: per frame either 33 MediaPipe landmarks `[x, y, z,
visibility]` with x and y as fractions of the image's width and height, or `[]` when no
person was found. Angles are measured in the image plane on pixel coordinates (x times the
width, y times the height), so a portrait and a landscape video of the same pose agree;
MediaPipe's z is a rough relative depth and is left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import DanceInputError

LANDMARKS = 33
NOSE = 0
L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW, L_WRIST, R_WRIST = 11, 12, 13, 14, 15, 16
L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE = 23, 24, 25, 26, 27, 28
# MediaPipe's left/right pairs (anatomical sides), swapped by a mirror image.
MIRROR_PAIRS = [(1, 4), (2, 5), (3, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16), (17, 18), (19, 20)]
MIRROR_PAIRS += [(21, 22), (23, 24), (25, 26), (27, 28), (29, 30), (31, 32)]

PARTS = ("left_arm", "right_arm", "left_leg", "right_leg", "torso")

# A landmark MediaPipe gives less visibility than this is a guess: on the astronaut photo
# (waist up) it reports the unseen knees and elbows at 0.15–0.7, the seen shoulders and hips
# above 0.95. An angle needs all its landmarks seen to count in a score.
VISIBLE = 0.7
# Shoulders and hips closer than this (in pixels) are a failed detection, not a pose.
MIN_TORSO_PIXELS = 4.0

_MID_SHOULDER = (L_SHOULDER, R_SHOULDER)
_MID_HIP = (L_HIP, R_HIP)


@dataclass(frozen=True)
class Angle:
    """A signed angle, in degrees, that turns vector `a` onto vector `b` in the image plane.

    A vector is (from, to) with each end a landmark index or a pair of them (their
    midpoint). `a` None means the image's vertical (pointing up): that angle is an
    orientation and turns with the camera; every other angle is a joint angle between two
    body segments, unchanged by moving, zooming or rotating the camera. Signed, so a pose
    and its mirror image differ."""

    name: str
    part: str
    a: tuple | None
    b: tuple


ANGLES: tuple[Angle, ...] = (
    # Each limb: the joint angles at its two joints, and the direction of its upper segment
    # (an arm raised to the side and an arm raised forward bend the same at the joints).
    Angle("left_shoulder", "left_arm", (_MID_SHOULDER, _MID_HIP), (L_SHOULDER, L_ELBOW)),
    Angle("left_elbow", "left_arm", (L_SHOULDER, L_ELBOW), (L_ELBOW, L_WRIST)),
    Angle("left_upper_arm", "left_arm", None, (L_SHOULDER, L_ELBOW)),
    Angle("right_shoulder", "right_arm", (_MID_SHOULDER, _MID_HIP), (R_SHOULDER, R_ELBOW)),
    Angle("right_elbow", "right_arm", (R_SHOULDER, R_ELBOW), (R_ELBOW, R_WRIST)),
    Angle("right_upper_arm", "right_arm", None, (R_SHOULDER, R_ELBOW)),
    Angle("left_hip", "left_leg", (_MID_SHOULDER, _MID_HIP), (L_HIP, L_KNEE)),
    Angle("left_knee", "left_leg", (L_HIP, L_KNEE), (L_KNEE, L_ANKLE)),
    Angle("left_thigh", "left_leg", None, (L_HIP, L_KNEE)),
    Angle("right_hip", "right_leg", (_MID_SHOULDER, _MID_HIP), (R_HIP, R_KNEE)),
    Angle("right_knee", "right_leg", (R_HIP, R_KNEE), (R_KNEE, R_ANKLE)),
    Angle("right_thigh", "right_leg", None, (R_HIP, R_KNEE)),
    Angle("torso_lean", "torso", None, (_MID_HIP, _MID_SHOULDER)),
    Angle("neck", "torso", (_MID_HIP, _MID_SHOULDER), (_MID_SHOULDER, NOSE)),
    Angle("shoulder_twist", "torso", (R_HIP, L_HIP), (R_SHOULDER, L_SHOULDER)),
)
ANGLE_NAMES = tuple(angle.name for angle in ANGLES)
PART_OF_ANGLE = np.array([PARTS.index(angle.part) for angle in ANGLES])


@dataclass(frozen=True)
class PoseTrack:
    """The keypoints of one video: per sampled frame its timestamp (seconds) and either 33
    landmarks `[x, y, z, visibility]` or `[]` (no person), from a video of width x height
    pixels. JSON round-trips through to_dict/from_dict (the reference's analysis is cached
    this way)."""

    timestamps: list[float]
    keypoints: list[list[list[float]]]
    width: int
    height: int
    model: str = field(default="")

    @classmethod
    def from_pose_frames(
        cls, frames: Sequence, pose_frames: Sequence[Mapping], *, model: str = "", name: str = "take"
    ) -> PoseTrack:
        """Pair the sampled frames (video.Frame) with the pose server's `frames` answer
        (entries `{"index": i, "keypoints": [...]}`, in any order)."""
        if len(frames) != len(pose_frames):
            raise DanceInputError(name, f"{len(frames)} frames but {len(pose_frames)} pose results")
        if not frames:
            raise DanceInputError(name, "no frames")
        ordered = sorted(enumerate(pose_frames), key=lambda item: item[1].get("index", item[0]))
        track = cls(
            timestamps=[float(f.timestamp) for f in frames],
            keypoints=[list(entry.get("keypoints") or []) for _, entry in ordered],
            width=int(frames[0].width),
            height=int(frames[0].height),
            model=model,
        )
        track.validate(name)
        return track

    def to_dict(self) -> dict:
        return {
            "timestamps": list(self.timestamps),
            "keypoints": self.keypoints,
            "width": self.width,
            "height": self.height,
            "model": self.model,
        }

    @classmethod
    def from_dict(cls, data: Mapping, *, name: str = "reference") -> PoseTrack:
        try:
            track = cls(
                timestamps=[float(t) for t in data["timestamps"]],
                keypoints=list(data["keypoints"]),
                width=int(data["width"]),
                height=int(data["height"]),
                model=str(data.get("model", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DanceInputError(name, f"not a pose track ({exc!s})") from exc
        track.validate(name)
        return track

    def validate(self, name: str) -> None:
        """Raise DanceInputError naming the first bad field (e.g. `take.keypoints[4]`)."""
        if self.width < 1 or self.height < 1:
            raise DanceInputError(f"{name}.width", "the video's width and height must be positive")
        if not self.timestamps:
            raise DanceInputError(name, "no frames")
        if len(self.timestamps) != len(self.keypoints):
            raise DanceInputError(
                name, f"{len(self.timestamps)} timestamps but {len(self.keypoints)} frames of keypoints"
            )
        times = np.asarray(self.timestamps, dtype=float)
        if not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
            raise DanceInputError(f"{name}.timestamps", "must be finite and increasing")
        seen = [points for points in self.keypoints if points]
        try:
            stacked = np.asarray(seen, dtype=float)
        except (TypeError, ValueError):
            stacked = None
        if stacked is not None and stacked.shape[1:] == (LANDMARKS, 4) and np.isfinite(stacked).all():
            return  # all well-formed: the common case in one numpy call
        for index, points in enumerate(self.keypoints):
            if not points:
                continue
            try:
                array = np.asarray(points, dtype=float)
            except (TypeError, ValueError) as exc:
                raise DanceInputError(f"{name}.keypoints[{index}]", "landmarks must be numbers") from exc
            if array.shape != (LANDMARKS, 4):
                raise DanceInputError(
                    f"{name}.keypoints[{index}]",
                    f"expected 33 landmarks of [x, y, z, visibility] or [] (no person), got shape {array.shape}",
                )
            if not np.all(np.isfinite(array)):
                raise DanceInputError(f"{name}.keypoints[{index}]", "landmarks must be finite numbers")

    def mirrored(self) -> PoseTrack:
        """The track of the horizontally flipped video: x → 1 − x, left and right swapped (what
        MediaPipe reports for a mirror image). Compare a take with the mirrored reference for
        tutorials that are danced facing the learner."""
        keypoints = []
        for points in self.keypoints:
            if not points:
                keypoints.append([])
                continue
            flipped = [[1.0 - p[0], p[1], p[2], p[3]] for p in points]
            for left, right in MIRROR_PAIRS:
                flipped[left], flipped[right] = flipped[right], flipped[left]
            keypoints.append(flipped)
        return PoseTrack(list(self.timestamps), keypoints, self.width, self.height, self.model)


@dataclass(frozen=True)
class JointAngles:
    """Per frame (rows) and angle (columns, ANGLES' order): the angle in degrees and the
    visibility it was measured with (the least visible of its landmarks). Rows of frames
    with no person (`present` False) are NaN and 0."""

    degrees: np.ndarray
    visibility: np.ndarray
    present: np.ndarray


def pixel_points(keypoints: Sequence[Sequence[float]], width: int, height: int) -> np.ndarray:
    """(33, 2) pixel coordinates of one frame's landmarks."""
    array = np.asarray(keypoints, dtype=float)
    return array[:, :2] * np.array([width, height], dtype=float)


def normalise(keypoints: Sequence[Sequence[float]], width: int, height: int) -> np.ndarray | None:
    """(33, 2) landmarks centred on the hips' midpoint and divided by the torso's length (hips'
    midpoint to shoulders' midpoint), y pointing down as in the image: the same pose gives the
    same numbers wherever it stands in the frame and however near the camera. None for a
    frame with no person or a collapsed torso (a failed detection)."""
    if not keypoints:
        return None
    points = pixel_points(keypoints, width, height)
    hips = points[list(_MID_HIP)].mean(axis=0)
    torso = float(np.linalg.norm(points[list(_MID_SHOULDER)].mean(axis=0) - hips))
    if torso < MIN_TORSO_PIXELS:
        return None
    return (points - hips) / torso


def joint_angles(track: PoseTrack) -> JointAngles:
    """The ANGLES of every frame of `track`. Frames with no person, or a collapsed torso, are
    marked not present rather than guessed: the comparison leaves them out of the alignment
    and counts them as missed in the take. All frames at once in numpy (300 frames: ~2 ms)."""
    frames = len(track.keypoints)
    degrees = np.full((frames, len(ANGLES)), np.nan)
    visibility = np.zeros((frames, len(ANGLES)))
    present = np.array([bool(points) for points in track.keypoints], dtype=bool)
    rows = np.flatnonzero(present)
    if rows.size:
        landmarks = np.array([track.keypoints[row] for row in rows], dtype=float)  # (F, 33, 4)
        points = landmarks[:, :, :2] * np.array([track.width, track.height], dtype=float)
        hips = points[:, list(_MID_HIP)].mean(axis=1)
        torso = np.linalg.norm(points[:, list(_MID_SHOULDER)].mean(axis=1) - hips, axis=1)
        collapsed = torso < MIN_TORSO_PIXELS
        present[rows[collapsed]] = False
        keep = ~collapsed
        rows, landmarks, points = rows[keep], landmarks[keep], points[keep]
        points = (points - hips[keep, None, :]) / torso[keep, None, None]
        up = np.broadcast_to(np.array([0.0, -1.0]), (len(rows), 2))
        for column, angle in enumerate(ANGLES):
            a = up if angle.a is None else _vector(points, angle.a)
            degrees[rows, column] = _signed(a, _vector(points, angle.b))
            visibility[rows, column] = landmarks[:, sorted(_landmarks(angle)), 3].min(axis=1)
    return JointAngles(degrees, visibility, present)


def _point(points: np.ndarray, end) -> np.ndarray:
    return points[:, list(end)].mean(axis=1) if isinstance(end, tuple) else points[:, end]


def _vector(points: np.ndarray, segment: tuple) -> np.ndarray:
    """(F, 2): the segment's vector in each of F frames of (F, 33, 2) points."""
    return _point(points, segment[1]) - _point(points, segment[0])


def _signed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    cross = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    dot = (a * b).sum(axis=1)
    # atan2(0, 0) is 0 in numpy: a zero-length segment (two landmarks on one spot) reads as
    # "not bent" rather than as an error.
    return np.degrees(np.arctan2(cross, dot))


def _landmarks(angle: Angle) -> set[int]:
    out: set[int] = set()
    for segment in (angle.a or (), angle.b):
        for end in segment:
            out.update(end if isinstance(end, tuple) else (end,))
    return out
