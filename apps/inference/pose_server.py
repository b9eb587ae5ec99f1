"""The pose server: MediaPipe Pose (model complexity 1, the model shipped inside the
mediapipe 0.10.21 wheel) behind the pose protocol (pose_protocol.md).

It runs in its own environment (`.venv-pose`, requirements/pose.txt: MediaPipe pins its own
protobuf and OpenCV), so it imports nothing of Django:

    .venv-pose/bin/python -m apps.inference.pose_server --port 8102

`dev.py up` starts it on loopback as the pose kind's CPU default (INFERENCE_POSE_CPU_URL);
on a GPU machine the same app is a registered pose server. Loads offline: the model is a
file of the wheel.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import threading

from .sandbox.server import error, json_response

MODEL = "mediapipe-pose-full-0.10.21"


class PoseEstimator:
    def __init__(self):
        import mediapipe as mp

        self._pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1)
        self._lock = threading.Lock()

    def keypoints(self, image_bytes: bytes) -> list[list[float]]:
        import cv2
        import numpy as np

        image = cv2.imdecode(np.frombuffer(image_bytes, dtype=np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError("not an image")
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        with self._lock:
            result = self._pose.process(rgb)
        if not result.pose_landmarks:
            return []
        landmarks = result.pose_landmarks.landmark
        return [[round(p.x, 5), round(p.y, 5), round(p.z, 5), round(p.visibility, 4)] for p in landmarks]


class PoseServer:
    def __init__(self, api_key: str = ""):
        self.api_key = api_key
        self.estimator = PoseEstimator()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path, method = scope["path"].rstrip("/"), scope["method"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if path == "/health":
            return await json_response(send, 200, {"status": "ok", "model": MODEL})
        if self.api_key and headers.get("authorization") != f"Bearer {self.api_key}":
            return await json_response(send, 401, error("invalid api key", "authentication_error"))
        if path != "/v1/pose" or method != "POST":
            return await json_response(send, 404, error(f"no route {method} {path}", "not_found"))
        try:
            frames = [base64.b64decode(frame, validate=True) for frame in json.loads(body)["frames"]]
        except (ValueError, KeyError, TypeError):
            return await json_response(send, 400, error("frames: expected a list of base64 images", "invalid"))
        out = []
        for index, frame in enumerate(frames):
            try:
                points = await asyncio.to_thread(self.estimator.keypoints, frame)
            except ValueError:
                return await json_response(send, 400, error(f"frames[{index}]: not an image", "invalid"))
            out.append({"index": index, "keypoints": points})
        return await json_response(send, 200, {"model": MODEL, "frames": out})


def main() -> None:
    import os

    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8102)
    parser.add_argument("--api-key", default=os.environ.get("POSE_SERVER_API_KEY", ""))
    args = parser.parse_args()
    uvicorn.run(PoseServer(args.api_key), host=args.host, port=args.port, log_level="warning", lifespan="off")


if __name__ == "__main__":
    main()
