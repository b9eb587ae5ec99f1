"""What a job tells its requester's websockets: status and progress, and the LLM's tokens
as they stream. The group is the requester's own, `inference.user.<id>`, named through the
core helper (schema prefix in one place: apps.core.websocket.group_name), so an event never
reaches another user or another tenant."""

from __future__ import annotations

import time

from apps.core.websocket import broadcast, broadcast_on_commit


def user_group(user_id: int) -> str:
    """The requester's group name, before the core helper prefixes the schema."""
    return f"inference.user.{user_id}"


def snapshot(job) -> dict:
    return {
        "job": job.pk,
        "kind": job.kind,
        "feature": job.feature,
        "status": job.status,
        "progress": job.progress,
        "backend": job.backend,
        "backend_label": job.backend_label,
        "error": job.error,
        "result": job.result if job.finished else None,
    }


def job_changed(job) -> None:
    """Status/progress to the requester's sockets, after the change commits."""
    if job.requester_id is not None:
        broadcast_on_commit(user_group(job.requester_id), {"type": "inference.job", **snapshot(job)})


class TokenStream:
    """Streams an LLM's text to the requester in small batches (every 50 ms at most, so a
    fast server does not send one channel message per token)."""

    INTERVAL = 0.05

    def __init__(self, job):
        self.job_id = job.pk
        self.group = user_group(job.requester_id) if job.requester_id else None
        self.buffer: list[str] = []
        self.last = 0.0
        self.sent = 0

    def restart(self) -> None:
        """A retry starts the text again: the socket is told to drop what it has."""
        self.buffer = []
        if self.sent and self.group:
            broadcast(self.group, {"type": "inference.restart", "job": self.job_id})
        self.sent = 0

    def push(self, text: str) -> None:
        self.buffer.append(text)
        if time.monotonic() - self.last >= self.INTERVAL:
            self.flush()

    def flush(self) -> None:
        if not self.buffer or not self.group:
            self.buffer = []
            return
        text, self.buffer = "".join(self.buffer), []
        self.last = time.monotonic()
        self.sent += 1
        broadcast(self.group, {"type": "inference.token", "job": self.job_id, "text": text})
