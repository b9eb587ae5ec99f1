"""The sandbox fleet: one model server on loopback speaking the protocols of the real fleet.

A plain ASGI app (no Django, no framework) served by uvicorn:

- `GET  /v1/models`                 OpenAI list of models (what the probe calls)
- `POST /v1/chat/completions`       OpenAI chat completions, `stream: true` as server-sent
                                     events (`data: {chunk}` … `data: [DONE]`) as vLLM sends them
- `POST /v1/audio/transcriptions`   OpenAI transcriptions (multipart: file, model, language,
                                     response_format json|verbose_json|text)
- `POST /v1/embeddings`             OpenAI embeddings (input: a string or a list of them)
- `GET  /health`, `POST /v1/pose`   the pose protocol (apps/inference/pose_protocol.md)

Its answers are deterministic and say they come from the sandbox: the chat reply echoes
the last user message word by word, embeddings are hashes of the words, the transcript is
the `transcript` set through the control route.

Knobs, `POST /_control` with a JSON object (every key optional):

    {"latency_ms": 10}        added before every model answer
    {"token_delay_ms": 50}    between two streamed tokens
    {"fail_next": 2, "fail_status": 500}   the next 2 model requests answer 500
    {"timeout_next": 1, "hang_seconds": 30} the next request waits that long first
    {"cut_next": 1}           the next stream stops after two tokens, without [DONE]
    {"down": true}            every model request answers 503 until {"down": false}
    {"transcript": "..."}     what transcriptions return
    {"reply": "..."}          what chat completions answer instead of the echo (a grader's
                              JSON, say); "" echoes again
    {"reset": true}           back to defaults, counters cleared

`GET /_stats` tells the requests per route, the model requests answered with an error,
and the most requests it held at once. Run it with `python -m apps.inference.sandbox`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import time
import uuid
from email.parser import BytesParser
from email.policy import HTTP

DEFAULTS = {
    "latency_ms": 0,
    "token_delay_ms": 0,
    "fail_next": 0,
    "fail_status": 500,
    "timeout_next": 0,
    "hang_seconds": 30.0,
    "cut_next": 0,
    "down": False,
    "transcript": "",
    "reply": "",
}
POSE_POINTS = 33  # MediaPipe's pose landmarks


class Sandbox:
    def __init__(self, *, model: str = "sandbox-model", name: str = "sandbox", api_key: str = ""):
        self.model = model
        self.name = name
        self.api_key = api_key
        self.knobs = dict(DEFAULTS)
        self.stats = {"requests": {}, "errors": 0, "in_flight": 0, "max_in_flight": 0, "completed": 0}

    # ------------------------------------------------------------------ ASGI plumbing

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        method, path = scope["method"], scope["path"].rstrip("/")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        self.stats["requests"][path] = self.stats["requests"].get(path, 0) + 1
        if path == "/_control" and method == "POST":
            return await self.control(send, body)
        if path == "/_stats":
            return await json_response(send, 200, self.stats)
        if path == "/health":
            status = 503 if self.knobs["down"] else 200
            return await json_response(send, status, {"status": "ok" if status == 200 else "down", "model": self.model})
        if self.api_key and headers.get("authorization") != f"Bearer {self.api_key}":
            return await json_response(send, 401, error("invalid api key", "authentication_error"))
        if path == "/v1/models" and method == "GET":
            if self.knobs["down"]:
                return await json_response(send, 503, error("server down", "server_error"))
            data = [{"id": self.model, "object": "model", "created": 0, "owned_by": self.name}]
            return await json_response(send, 200, {"object": "list", "data": data})
        routes = {
            "/v1/chat/completions": self.chat,
            "/v1/embeddings": self.embeddings,
            "/v1/audio/transcriptions": self.transcriptions,
            "/v1/pose": self.pose,
        }
        handler = routes.get(path)
        if handler is None or method != "POST":
            return await json_response(send, 404, error(f"no route {method} {path}", "not_found"))
        self.stats["in_flight"] += 1
        self.stats["max_in_flight"] = max(self.stats["max_in_flight"], self.stats["in_flight"])
        try:
            refusal = await self.interfere()
            if refusal:
                self.stats["errors"] += 1
                return await json_response(send, refusal, error("sandbox failure", "server_error"))
            await handler(send, body, headers)
            self.stats["completed"] += 1
        finally:
            self.stats["in_flight"] -= 1

    async def control(self, send, body: bytes):
        try:
            knobs = json.loads(body or b"{}")
        except ValueError:
            return await json_response(send, 400, error("control body must be JSON", "invalid_request_error"))
        if knobs.pop("reset", False):
            self.knobs = dict(DEFAULTS)
            self.stats = {"requests": {}, "errors": 0, "in_flight": 0, "max_in_flight": 0, "completed": 0}
        unknown = set(knobs) - set(DEFAULTS)
        if unknown:
            return await json_response(send, 400, error(f"unknown knobs: {sorted(unknown)}", "invalid_request_error"))
        self.knobs.update(knobs)
        return await json_response(send, 200, self.knobs)

    async def interfere(self) -> int:
        """Apply the knobs to one model request; returns an error status to answer, or 0."""
        knobs = self.knobs
        if knobs["down"]:
            return 503
        if knobs["timeout_next"] > 0:
            knobs["timeout_next"] -= 1
            await asyncio.sleep(float(knobs["hang_seconds"]))
        if knobs["fail_next"] > 0:
            knobs["fail_next"] -= 1
            return int(knobs["fail_status"])
        if knobs["latency_ms"]:
            await asyncio.sleep(knobs["latency_ms"] / 1000)
        return 0

    # ------------------------------------------------------------------ model routes

    async def chat(self, send, body: bytes, headers: dict):
        try:
            request = json.loads(body)
            messages = request["messages"]
            prompt = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
        except (ValueError, KeyError, TypeError, AttributeError):
            return await json_response(send, 400, error("messages: expected a list of {role, content}", "invalid"))
        if isinstance(prompt, list):  # content parts
            prompt = " ".join(p.get("text", "") for p in prompt if isinstance(p, dict))
        words = (self.knobs["reply"] or f"[{self.name}] {prompt}").split()
        limit = request.get("max_tokens") or request.get("max_completion_tokens")
        if limit:
            words = words[: int(limit)]
        tokens = [w if i == 0 else f" {w}" for i, w in enumerate(words)]
        usage = {"prompt_tokens": len(prompt.split()), "completion_tokens": len(tokens)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        ident, created = f"chatcmpl-{uuid.uuid4().hex[:12]}", int(time.time())
        model = request.get("model") or self.model
        if not request.get("stream"):
            choice = {
                "index": 0,
                "message": {"role": "assistant", "content": "".join(tokens)},
                "finish_reason": "stop",
            }
            payload = {
                "id": ident,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [choice],
                "usage": usage,
            }
            return await json_response(send, 200, payload)

        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")],
            }
        )
        cut = self.knobs["cut_next"] > 0
        if cut:
            self.knobs["cut_next"] -= 1

        def chunk(delta: dict, finish=None, with_usage=False) -> bytes:
            data = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            if with_usage:
                data["usage"] = usage
            return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()

        await send({"type": "http.response.body", "body": chunk({"role": "assistant"}), "more_body": True})
        for i, token in enumerate(tokens):
            if cut and i == 2:
                # The connection drops mid-stream: no [DONE], the chunked body never ends.
                raise ConnectionAbortedError("sandbox cut the stream")
            if self.knobs["token_delay_ms"]:
                await asyncio.sleep(self.knobs["token_delay_ms"] / 1000)
            await send({"type": "http.response.body", "body": chunk({"content": token}), "more_body": True})
        await send({"type": "http.response.body", "body": chunk({}, "stop", with_usage=True), "more_body": True})
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})

    async def embeddings(self, send, body: bytes, headers: dict):
        try:
            request = json.loads(body)
            inputs = request["input"]
        except (ValueError, KeyError, TypeError):
            return await json_response(send, 400, error("input: expected a string or a list of strings", "invalid"))
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        data = [{"object": "embedding", "index": i, "embedding": hashed_vector(text)} for i, text in enumerate(inputs)]
        tokens = sum(len(str(text).split()) for text in inputs)
        payload = {
            "object": "list",
            "data": data,
            "model": request.get("model") or self.model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
        return await json_response(send, 200, payload)

    async def transcriptions(self, send, body: bytes, headers: dict):
        fields = parse_multipart(headers.get("content-type", ""), body)
        audio = fields.get("file")
        if not audio:
            return await json_response(send, 400, error("file: an audio file is required", "invalid_request_error"))
        text = self.knobs["transcript"] or f"sandbox transcript of {len(audio)} bytes"
        duration = wav_seconds(audio)
        fmt = (fields.get("response_format") or b"json").decode()
        if fmt == "text":
            return await respond(send, 200, text.encode(), b"text/plain; charset=utf-8")
        payload: dict = {"text": text}
        if fmt == "verbose_json":
            payload.update(
                {
                    "task": "transcribe",
                    "language": (fields.get("language") or b"en").decode(),
                    "duration": duration,
                    "segments": [{"id": 0, "start": 0.0, "end": duration, "text": text}],
                }
            )
        return await json_response(send, 200, payload)

    async def pose(self, send, body: bytes, headers: dict):
        try:
            request = json.loads(body)
            frames = request["frames"]
            decoded = [base64.b64decode(frame, validate=True) for frame in frames]
        except (ValueError, KeyError, TypeError):
            return await json_response(send, 400, error("frames: expected a list of base64 images", "invalid"))
        out = []
        for index, frame in enumerate(decoded):
            seed = int.from_bytes(hashlib.sha256(frame).digest()[:4], "big")
            points = [
                [round(0.5 + 0.3 * math.sin(seed + k), 4), round(0.5 + 0.3 * math.cos(seed + k), 4), 0.0, 0.99]
                for k in range(POSE_POINTS)
            ]
            out.append({"index": index, "keypoints": points})
        return await json_response(send, 200, {"model": self.model, "frames": out})


# ---------------------------------------------------------------------------- helpers


def error(message: str, kind: str) -> dict:
    return {"error": {"message": message, "type": kind}}


async def respond(send, status: int, body: bytes, content_type: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", content_type)]})
    await send({"type": "http.response.body", "body": body})


async def json_response(send, status: int, payload) -> None:
    await respond(send, status, json.dumps(payload, ensure_ascii=False).encode(), b"application/json")


def hashed_vector(text: str, dim: int = 16) -> list[float]:
    """A bag of hashed words, normalised: texts that share words point the same way."""
    vector = [0.0] * dim
    for word in str(text).lower().split():
        digest = hashlib.sha256(word.encode()).digest()
        vector[digest[0] % dim] += 1.0 if digest[1] % 2 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [round(v / norm, 6) for v in vector]


def parse_multipart(content_type: str, body: bytes) -> dict[str, bytes]:
    if "multipart/form-data" not in content_type:
        return {}
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[name] = part.get_payload(decode=True) or b""
    return fields


def wav_seconds(data: bytes) -> float:
    """Duration of a PCM WAV file (0 for anything else)."""
    import io
    import wave

    try:
        with wave.open(io.BytesIO(data)) as wav:
            return round(wav.getnframes() / float(wav.getframerate()), 3)
    except (wave.Error, EOFError):
        return 0.0
