"""Every error page a browser can meet, in Korean (the default) and English, with the
request id; under /api/ the same errors in the API's error body."""

from __future__ import annotations

import pytest

from tests.utils import make_user

pytestmark = pytest.mark.django_db

PAGES = {
    400: ("요청을 이해할 수 없습니다", "The request could not be understood."),
    403: ("권한이 없습니다", "You do not have permission to do this."),
    404: ("페이지를 찾을 수 없습니다", "Page not found"),
    413: ("요청이 너무 큽니다", "Request too large"),
    429: ("요청이 너무 많습니다", "Too many requests"),
}


def provoke(t, status: int, language: str, settings):
    client = t.client(HTTP_ACCEPT_LANGUAGE=language)
    if status == 400:  # more form fields than Django accepts
        return client.post("/accounts/login/", {f"f{i}": "x" for i in range(1100)})
    if status == 403:
        settings.ADMIN_IP_ALLOWLIST = ["10.0.0.0/8"]
        return client.get("/admin/", REMOTE_ADDR="203.0.113.1")
    if status == 404:
        return client.get("/no-such-page/")
    if status == 413:
        return client.post("/accounts/login/", {"login": "x" * 3_000_000})
    for _ in range(5):
        client.post("/accounts/login/", {"login": f"err_{language}", "password": "Wrong-1!aa"})
    return client.post("/accounts/login/", {"login": f"err_{language}", "password": "Wrong-1!aa"})


@pytest.mark.parametrize("status", sorted(PAGES))
@pytest.mark.parametrize("language", ["ko", "en"])
def test_error_page(tenants, settings, status, language):
    t = tenants["store"]
    with t.context():
        make_user(f"err_{language}")
    response = provoke(t, status, language, settings)
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    korean, english = PAGES[status]
    assert (korean if language == "ko" else english) in body, body[:800]
    assert f'lang="{language}"' in body
    assert "Traceback" not in body


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [("/api/v1/nothing/", 404, "not_found"), ("/api/v1/role-assignments/", 401, "not_authenticated")],
)
def test_api_errors_keep_the_envelope(tenants, path, status, code):
    response = tenants["zone"].client().get(path)
    assert response.status_code == status and response.json()["code"] == code
