"""The pose server (MediaPipe 0.10.21 in .venv-pose, which dev.py builds): it finds a
person's landmarks on scikit-image's astronaut photo offline, and serves the pose
protocol both as a registered pose server and as the pose kind's CPU default."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from apps.inference import fleet as registry
from apps.inference import services
from apps.inference.models import ModelServer
from tests.processes import free_port, port_open, running

from .test_cpu_defaults import offline

ROOT = Path(__file__).resolve().parents[2]
POSE_PYTHON = ROOT / ".venv-pose" / "bin" / "python"

pytestmark = pytest.mark.skipif(
    not POSE_PYTHON.exists() and not os.environ.get("CI"), reason="dev.py test builds .venv-pose first"
)

ASTRONAUT = """
import importlib.util, os
spec = importlib.util.find_spec("skimage")
PHOTO = open(os.path.join(spec.submodule_search_locations[0], "data", "astronaut.png"), "rb").read()
"""


def astronaut_png() -> bytes:
    import subprocess

    code = ASTRONAUT + "import sys; sys.stdout.buffer.write(PHOTO)"
    return subprocess.run([str(POSE_PYTHON), "-c", code], capture_output=True, check=True).stdout


def test_pose_landmarks_are_found_on_a_photo_of_a_person_offline():
    out = offline(
        ASTRONAUT
        + """
import json
from apps.inference.pose_server import PoseEstimator
points = PoseEstimator().keypoints(PHOTO)
print(json.dumps({"points": points}))
""",
        python=str(POSE_PYTHON),
    )
    points = out["points"]
    assert len(points) == 33
    nose, left_shoulder, right_shoulder = points[0], points[11], points[12]
    assert nose[3] > 0.9 and left_shoulder[3] > 0.9 and right_shoulder[3] > 0.9
    assert nose[1] < left_shoulder[1] and nose[1] < right_shoulder[1]  # the head is above the shoulders
    assert all(0 <= p[0] <= 1 for p in (nose, left_shoulder, right_shoulder))


@pytest.fixture(scope="module")
def pose_server():
    port = free_port()
    command = [str(POSE_PYTHON), "-m", "apps.inference.pose_server", "--port", str(port)]
    with running("pose-server", command, ready=lambda: port_open(port), timeout=60):
        yield f"http://127.0.0.1:{port}"


def test_a_pose_job_runs_on_the_pose_server_and_on_the_cpu_default(live_tenant, live_db, pose_server, settings):
    zone = live_tenant("zone")
    photo = astronaut_png()
    with zone.context():
        key = default_storage.save("inference/astronaut.png", ContentFile(photo))
    server = ModelServer.objects.create(
        name=f"pose-{os.getpid()}", kind="pose", base_url=pose_server, model="mediapipe-pose-full-0.10.21"
    )
    try:
        assert registry.probe_all([server.name]) == {server.name: True}
        with zone.context():
            result = services.run_sync(kind="pose", inputs={"frames": [key, key]})
        assert result["backend"] == f"server:{server.name}"
        assert [len(f["keypoints"]) for f in result["frames"]] == [33, 33]
    finally:
        server.delete()
    # No pose server registered: the local one is the CPU default.
    settings.INFERENCE = {**settings.INFERENCE, "POSE_CPU_URL": pose_server}
    with zone.context():
        result = services.run_sync(kind="pose", inputs={"frames": [key]})
        from apps.inference.jobs.models import InferenceJob

        job = InferenceJob.objects.order_by("-pk").first()
    assert result["backend"] == "cpu:mediapipe-pose-full" and "MediaPipe" in result["backend_label"]
    assert len(result["frames"][0]["keypoints"]) == 33 and job.frames == 1


def test_without_a_pose_server_or_default_a_pose_job_fails_saying_so(live_tenant, live_db, settings):
    zone = live_tenant("zone")
    settings.INFERENCE = {**settings.INFERENCE, "POSE_CPU_URL": ""}
    with zone.context():
        key = default_storage.save("inference/x.png", ContentFile(b"not really"))
        with pytest.raises(services.JobFailed, match="no CPU default is installed"):
            services.run_sync(kind="pose", inputs={"frames": [key]})


def test_pose_server_refuses_bad_frames(pose_server):
    import httpx

    response = httpx.post(f"{pose_server}/v1/pose", json={"frames": ["%%%"]})
    assert response.status_code == 400 and "frames" in response.json()["error"]["message"]
    assert sys.executable  # the test process itself never imports mediapipe
    assert "mediapipe" not in sys.modules
