"""HTTP clients of the fleet's protocols (httpx), one call = one HTTP request.

- OpenAI chat completions, streamed as server-sent events (vLLM, llama.cpp's server, OpenAI);
- OpenAI `/v1/audio/transcriptions` (vLLM, faster-whisper servers);
- OpenAI `/v1/embeddings`;
- the pose protocol (pose_protocol.md): `POST /v1/pose` with base64 frames.

Errors are sorted into `Retryable` (timeouts, connection errors, 5xx, a stream cut before
`[DONE]`: try again, then another server) and `Rejected` (4xx: the request itself is bad,
another server would refuse it too). Retries, breakers and routing are dispatch.py's.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable

import httpx
from django.conf import settings


class InferenceError(Exception):
    pass


class Retryable(InferenceError):
    """The server failed (timeout, connection, 5xx, cut stream): worth another try."""


class Rejected(InferenceError):
    """The server refused the request (4xx): trying again would not help."""


class Cancelled(InferenceError):
    pass


_local = threading.local()


def _client() -> httpx.Client:
    """One pooled client per thread (keep-alive to every server)."""
    client = getattr(_local, "client", None)
    if client is None:
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        client = _local.client = httpx.Client(limits=limits, follow_redirects=False)
    return client


def timeout_for(kind: str) -> httpx.Timeout:
    connect, read = settings.INFERENCE["TIMEOUTS"][kind]
    return httpx.Timeout(read, connect=connect)


def headers_for(server) -> dict[str, str]:
    headers = {"User-Agent": "megacity-inference/1"}
    if server.api_key_env:
        key = os.environ.get(server.api_key_env, "")
        if key:
            headers["Authorization"] = f"Bearer {key}"
    return headers


def url(server, path: str) -> str:
    return server.base_url.rstrip("/") + path


def _check(response: httpx.Response) -> None:
    if response.status_code >= 500:
        raise Retryable(f"HTTP {response.status_code}: {response.text[:200]}")
    if response.status_code >= 400:
        raise Rejected(f"HTTP {response.status_code}: {response.text[:300]}")


def _request(method: str, server, path: str, kind: str, **kwargs) -> dict:
    try:
        response = _client().request(
            method, url(server, path), headers=headers_for(server), timeout=timeout_for(kind), **kwargs
        )
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise Retryable(f"{type(exc).__name__}: {exc}") from exc
    _check(response)
    try:
        return response.json()
    except ValueError as exc:
        raise Retryable(f"not JSON: {response.text[:200]}") from exc


# ---------------------------------------------------------------------------- chat


def chat(
    server,
    messages: list[dict],
    *,
    params: dict | None = None,
    on_token: Callable[[str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict:
    """A chat completion, streamed: `on_token(text)` for each piece as it arrives;
    `should_stop()` is asked between pieces (cancellation). Returns {text, tokens, finish_reason}."""
    params = dict(params or {})
    body = {
        "model": server.model,
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
        **{k: v for k, v in params.items() if k in ("max_tokens", "temperature", "top_p", "stop", "seed")},
    }
    pieces: list[str] = []
    usage: dict = {}
    finish = None
    done = False
    try:
        with _client().stream(
            "POST",
            url(server, "/v1/chat/completions"),
            json=body,
            headers=headers_for(server),
            timeout=timeout_for("llm"),
        ) as response:
            if response.status_code >= 400:
                response.read()
                _check(response)
            for line in response.iter_lines():
                if should_stop is not None and should_stop():
                    raise Cancelled("cancelled")
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    done = True
                    break
                try:
                    chunk = json.loads(data)
                except ValueError as exc:
                    raise Retryable(f"bad event: {data[:100]}") from exc
                usage = chunk.get("usage") or usage
                for choice in chunk.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        pieces.append(piece)
                        if on_token is not None:
                            on_token(piece)
                    finish = choice.get("finish_reason") or finish
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise Retryable(f"{type(exc).__name__}: {exc}") from exc
    if not done:
        raise Retryable("stream ended before [DONE]")
    return {
        "text": "".join(pieces),
        "tokens": int(usage.get("completion_tokens") or len(pieces)),
        "prompt_tokens": int(usage.get("prompt_tokens") or 0),
        "finish_reason": finish or "stop",
    }


# ---------------------------------------------------------------------------- others


def transcribe(server, audio: bytes, *, filename: str = "audio.wav", params: dict | None = None) -> dict:
    params = params or {}
    data = {"model": server.model, "response_format": "verbose_json"}
    if params.get("language"):
        data["language"] = params["language"]
    if params.get("word_timestamps"):
        data["timestamp_granularities[]"] = ["word", "segment"]
    result = _request("POST", server, "/v1/audio/transcriptions", "stt", data=data, files={"file": (filename, audio)})
    return {
        "text": result.get("text", ""),
        "language": result.get("language", params.get("language", "")),
        "duration": float(result.get("duration") or 0),
        "segments": [
            {"start": s.get("start"), "end": s.get("end"), "text": s.get("text", "")}
            for s in result.get("segments") or []
        ],
        # OpenAI's verbose_json gives word times at the top level when asked for them.
        **({"words": result["words"]} if isinstance(result.get("words"), list) else {}),
    }


def embed(server, texts: list[str], *, params: dict | None = None) -> dict:
    result = _request("POST", server, "/v1/embeddings", "embedding", json={"model": server.model, "input": texts})
    data = sorted(result.get("data") or [], key=lambda d: d.get("index", 0))
    if len(data) != len(texts):
        raise Retryable(f"{len(data)} embeddings for {len(texts)} inputs")
    return {
        "vectors": [d["embedding"] for d in data],
        "tokens": int((result.get("usage") or {}).get("total_tokens", 0)),
    }


def pose(server, frames_b64: Iterable[str], *, params: dict | None = None) -> dict:
    result = _request("POST", server, "/v1/pose", "pose", json={"frames": list(frames_b64), **(params or {})})
    return {"frames": result.get("frames") or [], "model": result.get("model", server.model)}


def probe(server) -> tuple[bool, float, str, list[str]]:
    """(healthy, latency ms, error, models served): `GET /v1/models` for OpenAI servers,
    `GET /health` for pose servers."""
    path = "/health" if server.kind == "pose" else "/v1/models"
    started = time.perf_counter()
    try:
        response = _client().get(
            url(server, path), headers=headers_for(server), timeout=settings.INFERENCE["PROBE_TIMEOUT"]
        )
        latency = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            return False, latency, f"HTTP {response.status_code}", []
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        return False, (time.perf_counter() - started) * 1000, f"{type(exc).__name__}: {exc}"[:500], []
    if server.kind == "pose":
        return True, latency, "", [body.get("model", "")] if body.get("model") else []
    served = [m.get("id", "") for m in body.get("data") or []]
    if server.model and served and server.model not in served:
        return False, latency, f"model {server.model!r} not served (serves {', '.join(served)[:200]})", served
    return True, latency, "", served
