"""The voice tutor in a real browser (Debian's chromium, Playwright) against the real ASGI
server and a real Celery worker: a learner uploads a recording on the voice page, watches
the take's page follow the analysis over ws/kzone/ without a manual reload, and reads the
transcript, the score and feedback naming who wrote it. The page may use the microphone
(Permissions-Policy), the other pages may not."""

from __future__ import annotations

import pytest

from tests.portal.test_browser import browser, django  # noqa: F401  (fixtures)
from tests.utils import PASSWORD, grant, make_user

from .conftest import SENTENCE, espeak, needs_espeak

pytestmark = [pytest.mark.browser, needs_espeak]


def test_a_learner_uploads_a_take_and_reads_the_result_live(
    live_tenant,
    asgi_server,
    celery_worker,
    tmp_path,
    django,  # noqa: F811
    browser,  # noqa: F811
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
