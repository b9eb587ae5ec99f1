"""The voice tutor in a real browser (Debian's chromium, Playwright) against the real ASGI
server and a real Celery worker: a learner uploads a recording on the voice page, watches
the take's page follow the analysis over ws/kzone/ without a manual reload, and reads the
transcript, the score and feedback naming who wrote it. The page may use the microphone
(Permissions-Policy), the other pages may not."""

from __future__ import annotations

import pytest

from tests.browser import launch
from tests.utils import PASSWORD, grant, make_user

from .conftest import SENTENCE, espeak, needs_espeak

pytestmark = [pytest.mark.browser, needs_espeak]


def test_a_learner_uploads_a_take_and_reads_the_result_live(
    live_tenant,
    asgi_server,
    celery_worker,
    tmp_path,
    django,
    browser,
):
    from apps.kzone import services

    zone = django(live_tenant, "zone")

    def setup():
        with zone.context():
            learner = make_user("singer")
            grant(learner, "student")
            return services.save_voice_line(
                actor=None, title="Greeting", kind="phrase", text=SENTENCE, language="en"
            ).pk

    line = django(setup)
    recording = tmp_path / "take.wav"
    recording.write_bytes(espeak())
    base = f"http://{zone.domain}:{asgi_server.port}"
    page = browser.new_page(locale="en-US")
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", "singer")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()

    hub = page.goto(f"{base}/kzone/")
    assert "microphone=()" in hub.headers["permissions-policy"]
    assert page.locator(f"a[href='/kzone/voice/{line}/']").count() == 1
    response = page.goto(f"{base}/kzone/voice/{line}/")
    assert "microphone=(self)" in response.headers["permissions-policy"]
    assert SENTENCE in page.locator("#target").inner_text()
    # Recording needs a secure context (https or localhost); on this http *.test host the
    # script says so and leaves the upload alone.
    page.wait_for_selector("#hand-in[data-recorder-state]")
    secure = page.evaluate("window.isSecureContext")
    state = page.get_attribute("#hand-in", "data-recorder-state")
    assert (state, page.locator("#hand-in .recorder").is_visible()) == (
        ("ready", True) if secure else ("unavailable", False)
    )
    page.set_input_files("#file", str(recording))
    page.locator("#hand-in button[type=submit]").click()
    page.wait_for_url("**/kzone/takes/*/")
    assert page.locator("#progress").count() == 1
    # no reload from the test: the page's socket follows the chain and reloads itself when done
    page.wait_for_selector("#status[data-status=succeeded]", timeout=90_000)
    assert page.locator("#result .score strong").inner_text().startswith(("9", "100"))
    assert page.locator("#result .transcript").inner_text().lower().startswith("good morning")
    assert "Whisper tiny.en" in page.locator("#result .stt-backend").inner_text()
    assert "not written by a language model" in page.locator("#result .source").inner_text()
    assert page.locator("#result .word.match").count() >= 7
    page.goto(f"{base}/kzone/voice/{line}/")
    assert page.locator("#history-chart circle").count() == 1
    assert page.locator("#my-takes tbody tr").count() == 1


def test_a_learner_records_with_the_microphone_and_the_take_is_analysed(
    live_tenant,
    asgi_server,
    celery_worker,
    django,
):
    """MediaRecorder in chromium with its fake microphone (a beep), on an origin chromium is told
    to treat as secure (getUserMedia needs one): the recording fills the upload field, is handed
    in like a file, stored as WebM/Opus after apps.media's checks, and analysed."""
    from pathlib import Path

    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed")
    from apps.kzone import services

    zone = django(live_tenant, "zone")

    def setup():
        with zone.context():
            learner = make_user("recorder")
            grant(learner, "student")
            return services.save_voice_line(actor=None, title="Beep", kind="phrase", text=SENTENCE, language="en").pk

    line = django(setup)
    base = f"http://{zone.domain}:{asgi_server.port}"
    with sync_api.sync_playwright() as playwright:
        chromium = launch(
            playwright,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--unsafely-treat-insecure-origin-as-secure={base}",
        )
        try:
            page = chromium.new_page(locale="en-US")
            page.goto(f"{base}/accounts/login/")
            page.fill("input[name=login]", "recorder")
            page.fill("input[name=password]", PASSWORD)
            page.locator("form button[type=submit]").last.click()
            page.wait_for_load_state()
            page.goto(f"{base}/kzone/voice/{line}/")
            page.wait_for_selector("#hand-in[data-recorder-state=ready]")
            page.locator("[data-record]").click()
            page.wait_for_timeout(2500)
            page.locator("[data-stop]").click()
            # the recording's preview shows once the recorder has filled the upload field (a
            # selector, not wait_for_function: the page's CSP forbids the eval it would need)
            page.wait_for_selector("[data-preview]:not([hidden])")
            assert page.evaluate("document.querySelector('#file').files.length") == 1
            name = page.evaluate("document.querySelector('#file').files[0].name")
            assert name.startswith("take.")
            page.locator("#hand-in button[type=submit]").click()
            page.wait_for_url("**/kzone/takes/*/")
            page.wait_for_selector("#status[data-status=succeeded]", timeout=90_000)
            assert page.locator("#result .stt-backend").count() == 1
        finally:
            chromium.close()

    def stored():
        from apps.kzone.models import Take
        from apps.media.models import MediaObject

        with zone.context():
            take = Take.objects.get()
            return take.status, MediaObject.objects.get(key=take.media_key).content_type

    status, content_type = django(stored)
    assert status == "succeeded" and content_type.startswith(("audio/webm", "audio/ogg", "video/webm"))
