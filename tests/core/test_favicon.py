"""/favicon.ico answers on every host (issue 12, defect 11: it was a 404 everywhere)."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["academy", "zone", "store", "club"])
def test_every_tenant_host_serves_the_favicon(tenants, key):
    response = tenants[key].client().get("/favicon.ico")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert response["Content-Type"] in ("image/vnd.microsoft.icon", "image/x-icon")


@pytest.mark.django_db
def test_the_platform_host_serves_the_favicon(client):
    response = client.get("/favicon.ico", HTTP_HOST="localhost")
    assert response.status_code == 200
