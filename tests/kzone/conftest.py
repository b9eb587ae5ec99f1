from __future__ import annotations

import shutil
import subprocess
import time
from urllib.parse import urlsplit

import pytest

# The inference sandbox fleet (real model servers on loopback) and its registry rows.
from tests.inference.conftest import fleet, sandbox_fleet  # noqa: F401

SENTENCE = "Good morning everyone, thank you for coming today."

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng (Debian package) is needed")


def espeak(text: str = SENTENCE, voice: str = "en-us") -> bytes:
    command = ["espeak-ng", "-m", "-v", voice, "-s", "150", "--stdout", text]  # -m: SSML breaks
    return subprocess.run(command, capture_output=True, check=True).stdout


def signed_in(t, username: str, *roles: str):
    """A committed user of a live tenant with `roles`, signed in through allauth."""
    from tests.utils import browser_login, grant, make_user

    with t.context():
        user = make_user(username)
        grant(user, *roles)
    client = t.client()
    browser_login(client, username)
    return user, client


def upload(client, kind: str, content: int, body: bytes, content_type: str = "audio/wav") -> str:
    """A direct upload through the API: presign, PUT the bytes, and the key to hand in."""
    answer = client.post(
        "/api/v1/kzone/uploads/",
        {"kind": kind, "content": content, "content_type": content_type},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    data = answer.json()
    target = urlsplit(data["url"])
    put = client.generic(
        "PUT",
        f"{target.path}?{target.query}" if target.query else target.path,
        body,
        content_type=data["headers"]["Content-Type"],
    )
    assert put.status_code in (200, 201, 204), put.content
    return data["key"]


def wait_for_take(t, take_id: int, *statuses: str, timeout: float = 60):
    from apps.kzone.models import Take

    statuses = statuses or tuple(Take.FINISHED)
    deadline = time.monotonic() + timeout
    while True:
        with t.context():
            take = Take.objects.get(pk=take_id)
        if take.status in statuses:
            return take
        if time.monotonic() > deadline:
            raise AssertionError(f"take {take_id} still {take.status} ({take.stage}): {take.error}")
        time.sleep(0.1)


def cookie(client) -> str:
    return client.cookies["mc_session"].value
