"""Synthetic MediaPipe keypoints: a stick figure built from joint angles, placed anywhere in
the picture at any size and lean, so tests know the angles the engine must find."""

from __future__ import annotations

import math

import numpy as np

from apps.kzone.dance import PoseTrack

WIDTH, HEIGHT = 640, 480


def _turn(vector: np.ndarray, degrees: float) -> np.ndarray:
    # Image coordinates (y down): the same sense as the engine's signed angles.
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.array([c * vector[0] - s * vector[1], s * vector[0] + c * vector[1]])


def figure(
    *,
    left_arm: tuple[float, float] = (20.0, 10.0),
    right_arm: tuple[float, float] = (-20.0, -10.0),
    left_leg: tuple[float, float] = (5.0, 0.0),
    right_leg: tuple[float, float] = (-5.0, 0.0),
    lean: float = 0.0,
    centre: tuple[float, float] = (320.0, 300.0),
    scale: float = 100.0,
    visibility: float = 0.99,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> list[list[float]]:
    """33 landmarks [x, y, z, visibility]. Each limb is (angle of its upper segment from
    straight down, bend at its middle joint) in degrees; `lean` turns the whole body;
    `centre` is the hips' midpoint in pixels and `scale` the torso's length in pixels."""
    down = np.array([0.0, 1.0])
    body = {
        "hip_mid": np.array([0.0, 0.0]),
        11: np.array([0.35, -1.0]),
        12: np.array([-0.35, -1.0]),
        23: np.array([0.2, 0.0]),
        24: np.array([-0.2, 0.0]),
        0: np.array([0.0, -1.35]),
    }
    for (shoulder, elbow, wrist), (upper, bend) in (((11, 13, 15), left_arm), ((12, 14, 16), right_arm)):
        direction = _turn(down, upper)
        body[elbow] = body[shoulder] + 0.55 * direction
        body[wrist] = body[elbow] + 0.5 * _turn(direction, bend)
    for (hip, knee, ankle), (upper, bend) in (((23, 25, 27), left_leg), ((24, 26, 28), right_leg)):
        direction = _turn(down, upper)
        body[knee] = body[hip] + 0.8 * direction
        body[ankle] = body[knee] + 0.75 * _turn(direction, bend)
    nearest = dict.fromkeys(range(1, 11), 0) | {17: 15, 19: 15, 21: 15, 18: 16, 20: 16, 22: 16}
    nearest |= {29: 27, 31: 27, 30: 28, 32: 28}
    points = []
    for index in range(33):
        local = body[nearest.get(index, index)]
        x, y = np.array(centre) + scale * _turn(local, lean)
        points.append([float(x / width), float(y / height), 0.0, visibility])
    return points


def motion(t: float, *, phase: float = 0.0) -> dict:
    """A dance of a few seconds: arms swing against each other, one knee bends, the body sways."""
    w = 2 * math.pi * t / 2.0 + phase
    return {
        "left_arm": (70 + 60 * math.sin(w), 40 * math.sin(2 * w)),
        "right_arm": (-70 + 60 * math.sin(w + 1.0), -30 - 30 * math.cos(w)),
        "left_leg": (10 + 15 * math.sin(w), 30 * max(0.0, math.sin(w))),
        "right_leg": (-10.0, 0.0),
        "lean": 10 * math.sin(w / 2),
    }


def track(
    seconds: float = 4.0,
    fps: float = 10.0,
    *,
    speed: float = 1.0,
    pose=motion,
    placement=None,
    absent: set[int] | frozenset = frozenset(),
    model: str = "synthetic",
) -> PoseTrack:
    """`seconds` of the motion sampled at `fps`, danced at `speed` (0.5: half as fast, so the
    same moves take twice as long). `placement(t)` gives figure()'s centre/scale per frame."""
    count = round(seconds * fps)
    times = [round(i / fps, 4) for i in range(count)]
    keypoints = []
    for index, t in enumerate(times):
        if index in absent:
            keypoints.append([])
            continue
        where = placement(t) if placement else {}
        keypoints.append(figure(**pose(t * speed), **where))
    return PoseTrack(timestamps=times, keypoints=keypoints, width=WIDTH, height=HEIGHT, model=model)
