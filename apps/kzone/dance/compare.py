"""Compare a learner's take with the reference choreography: align them in time by dynamic
time warping on joint angles, then score the aligned poses per body part, per beat and
overall, and point at the weakest moments.

The score of one angle is 100 when the take's angle equals the reference's and falls
linearly to 0 at TOLERANCE degrees apart; a body part's score is the mean over its angles
that both videos saw (visibility ≥ 0.7); a frame's score the mean over the parts seen.
Take frames with no person score 0 (the learner was out of the picture); reference frames
with no person are left out of the alignment. Parts neither video saw (legs below a
waist-up framing) are reported as None and left out of the overall score.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import numpy as np

from .dtw import dtw
from .errors import DanceInputError
from .pose import PART_OF_ANGLE, PARTS, VISIBLE, PoseTrack, joint_angles

ENGINE = "kzone-dance/dtw-joint-angles-1"
TOLERANCE = 60.0  # degrees at which an angle scores 0
BAND = 0.2  # the Sakoe–Chiba band: a fifth of the longer video either side of the diagonal
WEAKEST = 3
MIN_BPM, MAX_BPM = 30.0, 300.0
NO_PERSON = "whole_body"  # the part named by a weak segment where the learner was not seen


@dataclass
class BeatScore:
    """One beat (or one second without a tempo) of the take's timeline."""

    index: int
    start: float
    end: float
    score: float
    parts: dict[str, float | None]
    present: float  # fraction of the beat's frames with a person
    lag: float | None  # mean seconds the take is behind (+) or ahead of (−) the reference


@dataclass
class WeakSegment:
    """A weak moment: the take's [start, end) in seconds, the body part that went wrong and
    its score there, the take frame that shows it worst and the reference frame it was
    aligned with (indices into the two tracks: the frames to draw with overlay_png). Where
    the learner was absent (part `whole_body`) the reference frame is the one at the lag
    they were dancing at when last seen."""

    start: float
    end: float
    part: str
    score: float
    take_frame: int
    reference_frame: int
    reference_start: float
    reference_end: float


@dataclass
class DanceComparison:
    """The result of compare(), JSON-ready through to_dict()/to_json()."""

    score: float
    parts: dict[str, float | None]
    beats: list[BeatScore]
    weakest: list[WeakSegment]
    beat_seconds: float
    bpm: float | None
    reference_frames: int
    take_frames: int
    reference_missing: list[float]  # timestamps of reference frames with no person
    take_missing: list[float]  # timestamps of take frames with no person
    tempo: float | None  # take seconds per reference second along the alignment
    alignment: list[int | None]  # per take frame: the reference frame it was aligned with
    engine: str = ENGINE
    tolerance_degrees: float = TOLERANCE
    models: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Mapping) -> DanceComparison:
        values = dict(data)
        values["beats"] = [BeatScore(**beat) for beat in values["beats"]]
        values["weakest"] = [WeakSegment(**segment) for segment in values["weakest"]]
        return cls(**values)


def compare(
    reference: PoseTrack,
    take: PoseTrack,
    *,
    bpm: float | None = None,
    band: float = BAND,
    weakest: int = WEAKEST,
) -> DanceComparison:
    """Score `take` against `reference` (0–100 overall, per body part and per beat, see the
    module docstring), beats of 60/bpm seconds from the take's first frame, else 1-second
    windows. Raises DanceInputError naming `reference`, `take`, `bpm` or `band` when one of
    them cannot be used (malformed keypoints, no person in any frame, a tempo outside
    30–300 bpm)."""
    if bpm is not None and not MIN_BPM <= bpm <= MAX_BPM:
        raise DanceInputError("bpm", f"must be between {MIN_BPM:g} and {MAX_BPM:g}, got {bpm!r}")
    if weakest < 0:
        raise DanceInputError("weakest", f"must be 0 or more, got {weakest!r}")
    if not 0 < band <= 1:
        raise DanceInputError("band", f"must be above 0 and at most 1, got {band!r}")
    reference.validate("reference")
    take.validate("take")
    ref_angles, take_angles = joint_angles(reference), joint_angles(take)
    if not ref_angles.present.any():
        raise DanceInputError("reference", "no person was found in any frame")
    if not take_angles.present.any():
        raise DanceInputError("take", "no person was found in any frame")

    ref_rows = np.flatnonzero(ref_angles.present)
    take_rows = np.flatnonzero(take_angles.present)
    ref_deg, ref_vis = ref_angles.degrees[ref_rows], ref_angles.visibility[ref_rows]
    take_deg, take_vis = take_angles.degrees[take_rows], take_angles.visibility[take_rows]

    def cost_rows(i: int, lo: int, hi: int) -> np.ndarray:
        error = _error(ref_deg[i], take_deg[lo:hi])
        # Alignment weighs every angle by how well both videos saw it, so that guessed
        # landmarks steer it little; never all zero, so a row always has a cost.
        weight = np.minimum(ref_vis[i], take_vis[lo:hi]) + 1e-3
        return (error * weight).sum(axis=1) / weight.sum(axis=1)

    path, _ = dtw(len(ref_rows), len(take_rows), cost_rows, band=band)

    # Per take frame: the mean error per angle over the reference frames it was aligned with,
    # and whether both videos saw the angle (all path steps at once).
    frames = len(take.keypoints)
    steps_ref, steps_take = np.array(path).T
    error = np.zeros((len(take_rows), len(PART_OF_ANGLE)))
    np.add.at(error, steps_take, _error(ref_deg[steps_ref], take_deg[steps_take]))
    error /= np.bincount(steps_take, minlength=len(take_rows))[:, None]
    ref_seen = np.full(error.shape, np.inf)
    np.minimum.at(ref_seen, steps_take, ref_vis[steps_ref])
    seen = np.minimum(ref_seen, take_vis) >= VISIBLE
    part_scores = np.full((frames, len(PARTS)), np.nan)  # NaN: part not seen
    for part in range(len(PARTS)):
        columns = part == PART_OF_ANGLE
        counted = seen[:, columns].sum(axis=1)
        missed = (error[:, columns] * seen[:, columns]).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            part_scores[take_rows, part] = np.where(counted > 0, 100.0 * (1.0 - missed / counted), np.nan)
    frame_scores = np.zeros(frames)
    any_seen = ~np.isnan(part_scores[take_rows]).all(axis=1)
    frame_scores[take_rows] = np.nan
    frame_scores[take_rows[any_seen]] = np.nanmean(part_scores[take_rows[any_seen]], axis=1)
    matched: list[list[int]] = [[] for _ in range(frames)]
    for i, j in path:
        matched[take_rows[j]].append(int(ref_rows[i]))
    absent = ~take_angles.present
    part_scores[absent] = 0.0  # the learner was not in the picture: every part missed
    counted = ~np.isnan(frame_scores)

    times = np.asarray(take.timestamps, dtype=float)
    ref_times = np.asarray(reference.timestamps, dtype=float)
    beat = 60.0 / bpm if bpm else 1.0
    beats = _beats(times, ref_times, beat, frame_scores, part_scores, matched, take_angles.present)
    parts = {name: _mean(part_scores[:, column]) for column, name in enumerate(PARTS)}
    overall = float(frame_scores[counted].mean()) if counted.any() else 0.0
    alignment: list[int | None] = [_middle(refs) for refs in matched]

    return DanceComparison(
        score=round(overall, 1),
        parts=parts,
        beats=beats,
        weakest=_weakest(beats, weakest, times, ref_times, part_scores, matched),
        beat_seconds=round(beat, 4),
        bpm=bpm,
        reference_frames=len(reference.keypoints),
        take_frames=frames,
        reference_missing=[round(float(t), 3) for t in ref_times[~ref_angles.present]],
        take_missing=[round(float(t), 3) for t in times[absent]],
        tempo=_tempo(path, ref_rows, take_rows, ref_times, times),
        alignment=alignment,
        models={"reference": reference.model, "take": take.model},
    )


def _error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per angle: the difference on the circle (0–180°) as a fraction of TOLERANCE, capped at 1."""
    difference = np.abs((a - b + 180.0) % 360.0 - 180.0)
    return np.minimum(difference / TOLERANCE, 1.0)


def _mean(values: np.ndarray) -> float | None:
    values = values[~np.isnan(values)]
    return round(float(values.mean()), 1) if values.size else None


def _middle(refs: list[int]) -> int | None:
    return refs[len(refs) // 2] if refs else None


def _beats(times, ref_times, beat, frame_scores, part_scores, matched, present) -> list[BeatScore]:
    out = []
    count = int(np.floor(times[-1] / beat)) + 1
    for index in range(count):
        start, end = index * beat, (index + 1) * beat
        rows = np.flatnonzero((times >= start - 1e-9) & (times < end - 1e-9))
        if not rows.size:
            continue  # sampled more sparsely than the beat: nothing to score here
        scores = np.where(present[rows], frame_scores[rows], 0.0)
        scores = scores[~np.isnan(scores)]
        lags = [times[r] - ref_times[matched[r]].mean() for r in rows if matched[r]]
        out.append(
            BeatScore(
                index=index,
                start=round(start, 3),
                end=round(end, 3),
                score=round(float(scores.mean()), 1) if scores.size else 0.0,
                parts={name: _mean(part_scores[rows, column]) for column, name in enumerate(PARTS)},
                present=round(float(present[rows].mean()), 3),
                lag=round(float(np.mean(lags)), 3) if lags else None,
            )
        )
    return out


def _weakest(beats, limit, times, ref_times, part_scores, matched) -> list[WeakSegment]:
    """The `limit` beats with the lowest part score, each naming that part; a beat where the
    learner was never seen names the whole body."""
    candidates = []
    for entry in beats:
        if entry.present == 0:
            candidates.append((0.0, entry, NO_PERSON))
            continue
        seen = {name: score for name, score in entry.parts.items() if score is not None}
        if seen:
            part = min(seen, key=seen.get)
            candidates.append((seen[part], entry, part))
    candidates.sort(key=lambda item: (item[0], item[1].index))
    out = []
    for score, entry, part in candidates[:limit]:
        rows = np.flatnonzero((times >= entry.start - 1e-9) & (times < entry.end - 1e-9))
        if part == NO_PERSON:
            worst = int(rows[len(rows) // 2])
        else:
            # The frame to draw: the worst one the learner is in (a frame they are absent from
            # scores 0 but shows nothing of the part).
            column = PARTS.index(part)
            values = part_scores[rows, column]
            values = np.where(np.isnan(values) | np.array([not matched[r] for r in rows]), np.inf, values)
            worst = int(rows[int(np.argmin(values))])
        refs = sorted({r for row in rows for r in matched[row]})
        reference_frame = _middle(matched[worst])
        if reference_frame is None:
            # The learner was absent here; the reference's pose of that moment is still what
            # the overlay should show.
            reference_frame = _at_same_lag(worst, times, ref_times, matched)
            refs = [reference_frame]
        out.append(
            WeakSegment(
                start=entry.start,
                end=entry.end,
                part=part,
                score=round(float(score), 1),
                take_frame=worst,
                reference_frame=reference_frame,
                reference_start=round(float(ref_times[refs[0]]), 3),
                reference_end=round(float(ref_times[refs[-1]]), 3),
            )
        )
    return out


def _at_same_lag(row: int, times, ref_times, matched: list[list[int]]) -> int:
    """For a take frame with no person: the reference frame at the same lag as the nearest
    earlier frame the learner was seen in (else the nearest later one), as if they had gone on
    dancing at that lag. (The warping itself collapses a gap onto its edges.)"""
    seen = [r for r in range(len(matched)) if matched[r]]
    earlier = [r for r in seen if r < row]
    # The edge frame of a gap is aligned with the reference frames the learner missed too:
    # its own moment is the first of them before the gap, the last after it.
    if earlier:
        lag = times[earlier[-1]] - ref_times[min(matched[earlier[-1]])]
    else:
        later = min(r for r in seen if r > row)
        lag = times[later] - ref_times[max(matched[later])]
    candidates = sorted({r for refs in matched for r in refs})
    return min(candidates, key=lambda r: abs(ref_times[r] - (times[row] - lag)))


def _tempo(path, ref_rows, take_rows, ref_times, times) -> float | None:
    ref_span = ref_times[ref_rows[path[-1][0]]] - ref_times[ref_rows[path[0][0]]]
    take_span = times[take_rows[path[-1][1]]] - times[take_rows[path[0][1]]]
    return round(float(take_span / ref_span), 3) if ref_span > 0 else None
