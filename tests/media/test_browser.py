"""The presigned flow in a real browser (Debian's chromium driven by Playwright) against the
real ASGI server: the page asks the API for an upload URL, PUTs the take to it with the
given headers only (no cookie or CSRF token needed), confirms it, and plays it back in an
<audio> element under the site's Content-Security-Policy; a lying file comes back refused
with its reason. Screenshot: var/screenshots/media-playback.png."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.utils import PASSWORD

from . import samples

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

UPLOAD = """
async ([b64, kind, type]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const csrf = (document.cookie.match(/mc_csrftoken=([^;]+)/) || [])[1];
  const api = (path, body) => fetch(path, {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
    body: JSON.stringify(body),
  });
  const grant = await (await api("/api/v1/media/uploads/", {kind, content_type: type})).json();
  const put = await fetch(grant.url, {method: grant.method, headers: grant.headers, body: new Blob([bytes]),
                                      credentials: "omit"});
  const confirmed = await api("/api/v1/media/uploads/confirm/", {key: grant.key});
  return {put: put.status, status: confirmed.status, body: await confirmed.json()};
}
"""

PLAY = """
async (id) => {
  const answer = await (await fetch(`/api/v1/media/objects/${id}/playback/`)).json();
  const audio = document.createElement("audio");
  audio.controls = true;
  document.body.prepend(audio);
  const loaded = new Promise((resolve, reject) => {
    audio.addEventListener("loadedmetadata", () => resolve(audio.duration));
    audio.addEventListener("error", () => reject(new Error("media error " + (audio.error && audio.error.code))));
  });
  audio.src = answer.url;
  return await loaded;
}
"""


def _learner(t):
    from tests.utils import make_user

    with t.context():
        make_user("learner", email="learner@example.com")


def test_a_take_is_uploaded_confirmed_and_played_in_the_browser(live_tenant, asgi_server, django, browser):
    t = django(live_tenant, "academy")
    django(_learner, t)
    site = f"http://{t.domain}:{asgi_server.port}"
    page = browser.new_context(locale="en-US").new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{site}/accounts/login/")
    page.fill("input[name=login]", "learner")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{site}/")
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security" in message.text else None)

    take = samples.audio(2.5)
    result = page.evaluate(UPLOAD, [base64.b64encode(take).decode(), "voice", "audio/webm;codecs=opus"])
    assert result["put"] == 200 and result["status"] == 201, result
    assert result["body"]["content_type"] == "audio/webm" and result["body"]["size"] == len(take)
    duration = page.evaluate(PLAY, result["body"]["id"])
    assert abs(duration - 2.5) < 0.2
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "media-playback.png"))

    lie = page.evaluate(UPLOAD, [base64.b64encode(samples.png()).decode(), "voice", "audio/webm"])
    assert lie["put"] == 200 and lie["status"] == 400
    assert "PNG data" in lie["body"]["fields"]["file"][0]
    assert violations == []
