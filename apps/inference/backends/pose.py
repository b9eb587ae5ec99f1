"""Pose on the CPU: MediaPipe Pose (model complexity 1, shipped in the mediapipe 0.10.21
wheel). MediaPipe pins its own protobuf and OpenCV, so it runs as the pose server
(apps/inference/pose_server.py) in its own environment, `.venv-pose`, which `dev.py up`
creates and starts on loopback; INFERENCE_POSE_CPU_URL points here at it. Without that
variable there is no pose CPU default (a pose job then needs a registered pose server)."""

from __future__ import annotations

import base64
from types import SimpleNamespace

from django.conf import settings


def configured() -> bool:
    return bool(settings.INFERENCE.get("POSE_CPU_URL"))


def run(inputs: dict, params: dict, *, frames: list[bytes], **_) -> dict:
    from apps.inference import clients

    server = SimpleNamespace(
        base_url=settings.INFERENCE["POSE_CPU_URL"], model="mediapipe-pose-full", api_key_env="", kind="pose"
    )
    out = clients.pose(server, [base64.b64encode(frame).decode() for frame in frames], params=params)
    return {"frames": out["frames"], "model": out["model"]}
