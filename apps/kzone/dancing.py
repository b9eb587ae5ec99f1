"""The dance lab's chain (run by apps.kzone.tasks.dance and analyse_reference on gpu.pose),
around the engine in apps/kzone/dance (frames, pose tracks, DTW comparison, overlays):

1. The video's frames are sampled (FPS a second, PyAV) and written as JPEGs under
   `kzone/pose/…/frames/` of the tenant's media storage — the pose job's inputs are media
   keys. They are derived and short-lived (deleted after the analysis), so they are written
   to the storage directly, without apps.media's upload checks or rows.
2. Pose jobs of BATCH frames each run through the fleet (a registered pose server, or the
   local MediaPipe server as the CPU default); the take's progress moves with each batch,
   and a cancelled take stops between two batches.
3. A choreography's reference is analysed once: its track (keypoints per frame) is cached
   as JSON in storage (`Choreography.pose_key`, stored through apps.media) and reused by
   every take.
4. The take's track is compared with the reference's (dynamic time warping on joint
   angles); each of the weakest segments gets a skeleton overlay PNG (stored through
   apps.media under `kzone/pose/take-<id>/`). The frames are deleted afterwards.
"""

from __future__ import annotations

import hashlib
import io
import json

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.inference.jobs.models import InferenceJob
from apps.media.storage import media_storage

from . import chain, feedback, services
from .chain import Stopped
from .models import Choreography, Take

FPS = 10
BATCH = 30


def _frames(video_key: str):
    from apps.media import services as media

    from .dance import frames_from_video

    with media.local_path(video_key) as path:
        return frames_from_video(path, fps=FPS)


def _track(video_key: str, folder: str, idem: str, *, requester, feature: str, on_batch=None):
    """(PoseTrack, frames, frame keys, the last pose job) of one video."""
    from .dance import PoseTrack

    frames = _frames(video_key)
    storage = media_storage()  # where the fleet opens a pose job's frames
    keys = []
    for i, frame in enumerate(frames):
        key = f"{folder}/frames/{i:04d}.jpg"
        if storage.exists(key):
            storage.delete(key)
        keys.append(storage.save(key, ContentFile(frame.jpeg)))
    answers: list[dict] = []
    job = None
    batches = [keys[i : i + BATCH] for i in range(0, len(keys), BATCH)]
    for b, batch in enumerate(batches):
        job = chain.run_job(
            f"{idem}.pose.{b}", kind="pose", inputs={"frames": batch}, requester=requester, feature=feature
        )
        if job.status != InferenceJob.Status.SUCCEEDED:
            raise RuntimeError(f"pose job {job.pk} {job.status}: {job.error}")
        for entry in job.result.get("frames") or []:
            answers.append({**entry, "index": len(answers)})
        if on_batch is not None:
            on_batch(b + 1, len(batches), job)
    model = (job.result or {}).get("model", "") if job else ""
    return PoseTrack.from_pose_frames(frames, answers, model=model), frames, keys, job


def _forget(keys: list[str]) -> None:
    storage = media_storage()
    for key in keys:
        storage.delete(key)


def _store_json(key: str, data: dict, user=None) -> str:
    from apps.media import services as media

    body = json.dumps(data, ensure_ascii=False, allow_nan=False).encode()
    return media.store_upload("json", io.BytesIO(body), key=key, user=user).key


def reference_track(choreo: Choreography):
    """The reference's cached track; analysed now (and cached) if it is not yet."""
    from apps.media import services as media

    from .dance import PoseTrack

    choreo.refresh_from_db()
    if choreo.pose_status == Choreography.PoseStatus.READY and choreo.pose_key:
        return PoseTrack.from_dict(json.loads(media.read_bytes(choreo.pose_key)))
    if not choreo.reference_video:
        raise RuntimeError("the choreography has no reference video")
    Choreography.objects.filter(pk=choreo.pk).update(pose_status=Choreography.PoseStatus.RUNNING, pose_error="")
    digest = hashlib.sha256(choreo.reference_video.encode()).hexdigest()[:12]
    folder = f"kzone/pose/choreo-{choreo.pk}"
    try:
        track, _unused, keys, job = _track(
            choreo.reference_video,
            folder,
            f"kzone.choreo.{choreo.pk}.{digest}",
            requester=None,
            feature="kzone.dance.reference",
        )
    except Exception as exc:
        Choreography.objects.filter(pk=choreo.pk).update(
            pose_status=Choreography.PoseStatus.FAILED, pose_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    _forget(keys)
    key = _store_json(f"{folder}/reference-{digest}-{job.pk}.json", track.to_dict())
    with transaction.atomic():
        locked = Choreography.objects.select_for_update().get(pk=choreo.pk)
        if locked.reference_video == choreo.reference_video:
            locked.pose_key = key
            locked.pose_status = Choreography.PoseStatus.READY
            locked.pose_backend = job.backend_label if job else ""
            locked.duration = locked.duration or (track.timestamps[-1] if track.timestamps else None)
            locked.save(update_fields=["pose_key", "pose_status", "pose_backend", "duration"])
    return track


def analyse_reference(choreography_id: int) -> str:
    choreo = Choreography.objects.filter(pk=choreography_id).first()
    if choreo is None or not choreo.reference_video:
        return "nothing to do"
    reference_track(choreo)
    return "ready"


def analyse_take(take_id: int) -> str:
    from apps.media import services as media

    from .dance import compare, overlay_png

    take = services.advance(take_id, stage="reference", progress=5)
    if take is None:
        return "stopped"
    reference = reference_track(take.choreography)
    take = services.advance(take_id, stage="frames", progress=15)
    if take is None:
        return "stopped"
    folder = f"kzone/pose/take-{take.pk}"

    def on_batch(done: int, total: int, job) -> None:
        ids = list((take.jobs or {}).get("pose") or [])
        updated = services.advance(
            take_id, stage="pose", progress=15 + int(70 * done / total), jobs={"pose": [*ids, job.pk]}
        )
        if updated is None:
            raise Stopped()
        take.jobs = updated.jobs

    try:
        track, frames, keys, job = _track(
            take.media_key,
            folder,
            f"kzone.take.{take.pk}",
            requester=take.user,
            feature="kzone.dance",
            on_batch=on_batch,
        )
    except Stopped:
        return "stopped"
    try:
        take = services.advance(take_id, stage="compare", progress=88)
        if take is None:
            return "stopped"
        result = compare(reference, track, bpm=take.choreography.bpm)
        weakest = []
        for n, segment in enumerate(result.weakest):
            png = overlay_png(
                frames[segment.take_frame].jpeg,
                reference.keypoints[segment.reference_frame] if segment.reference_frame is not None else [],
                track.keypoints[segment.take_frame],
                reference_size=(reference.width, reference.height),
                part=segment.part,
            )
            key = media.store_upload(
                "image", io.BytesIO(png), key=f"{folder}/weak-{n}-{job.pk}.png", user=take.user
            ).key
            weakest.append(
                {
                    "start": round(segment.start, 2),
                    "end": round(segment.end, 2),
                    "part": segment.part,
                    "score": round(segment.score, 1),
                    "reference_start": segment.reference_start,
                    "reference_end": segment.reference_end,
                    "overlay": key,
                }
            )
    finally:
        _forget(keys)
    data = result.to_dict()
    dance = {
        "score": result.score,
        "parts": result.parts,
        "beats": [
            {"index": b["index"], "start": b["start"], "end": b["end"], "score": b["score"]} for b in data["beats"]
        ],
        "beat_seconds": result.beat_seconds,
        "tempo": result.tempo,
        "weakest": weakest,
        "frames": result.take_frames,
        "reference_frames": result.reference_frames,
        "take_missing": len(result.take_missing),
        "engine": result.engine,
        "backend": job.backend if job else "",
        "backend_label": job.backend_label if job else "",
    }
    with translation.override(take.language):
        text = dance_rules(dance)
    services.finish(
        take_id,
        score=result.score,
        result={
            "dance": dance,
            "feedback": {
                "text": text,
                "source": "rule_based",
                "backend": feedback.RULE_BACKEND,
                "backend_label": feedback.RULE_LABEL,
            },
        },
    )
    return "compared"


PART_NAMES = {
    "left_arm": gettext_noop("left arm"),
    "right_arm": gettext_noop("right arm"),
    "left_leg": gettext_noop("left leg"),
    "right_leg": gettext_noop("right leg"),
    "torso": gettext_noop("torso"),
    "whole_body": gettext_noop("whole body"),
}


def dance_rules(dance: dict) -> str:
    parts = [_("Score %(score)s / 100 over %(frames)d frames.") % {"score": dance["score"], "frames": dance["frames"]}]
    seen = {k: v for k, v in (dance.get("parts") or {}).items() if v is not None}
    if seen:
        worst = min(seen, key=seen.get)
        parts.append(
            _("Your weakest body part: %(part)s (%(score)d / 100). Watch the reference's %(part)s and repeat slowly.")
            % {"part": _(PART_NAMES.get(worst, worst)), "score": round(seen[worst])}
        )
    for w in dance.get("weakest") or []:
        parts.append(
            _("%(start).1f–%(end).1f s: %(part)s scored %(score)d — compare the two skeletons in the picture.")
            % {
                "start": w["start"],
                "end": w["end"],
                "part": _(PART_NAMES.get(w["part"], w["part"])),
                "score": round(w["score"]),
            }
        )
    if dance.get("take_missing"):
        parts.append(
            _("You were out of the picture in %(n)d frames: keep your whole body in view.")
            % {"n": dance["take_missing"]}
        )
    return "\n".join(parts)


def with_overlay_urls(result: dict) -> dict:
    """The result as the API shows it: each weak segment's overlay as a short-lived URL."""
    dance = result.get("dance")
    if not dance or not dance.get("weakest"):
        return result
    from apps.media import services as media

    weakest = []
    for segment in dance["weakest"]:
        url = ""
        if segment.get("overlay"):
            try:
                url = media.playback_url(segment["overlay"], seconds=600)
            except Exception:
                url = ""
        weakest.append({**segment, "overlay_url": url})
    return {**result, "dance": {**dance, "weakest": weakest}}


def is_dance(take: Take) -> bool:
    return take.kind == Take.Kind.DANCE
