import json
import re

import pytest
from drf_spectacular.validation import validate_schema

from tests.utils import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("key", ["academy", "zone", "store", "club"])
def test_openapi_schema_validates_on_every_type(tenants, key):
    t = tenants[key]
    response = t.client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate_schema(schema)
    assert "/api/v1/me/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["sessionToken"]["name"] == "X-Session-Token"
    # Clients generate types from these names: none may be a collision's hash (StatusB4eEnum),
    # which changes whenever any choice set of that field name changes (ENUM_NAME_OVERRIDES).
    hashed = [name for name in schema["components"]["schemas"] if re.fullmatch(r"\w+[0-9A-F][0-9a-f]{2}Enum", name)]
    assert hashed == []


def test_swagger_ui_is_served_without_a_cdn(tenants):
    response = tenants["academy"].client().get("/api/docs/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "swagger-ui" in body
    assert "cdn.jsdelivr" not in body and "unpkg.com" not in body


def test_errors_share_one_envelope(tenants):
    t = tenants["academy"]
    client = t.client()
    not_found = client.get("/api/v1/nothing-here/")
    assert not_found.status_code == 404
    assert not_found.json()["code"] == "not_found"

    unauthenticated = client.get("/api/v1/me/")
    assert unauthenticated.status_code == 401
    assert set(unauthenticated.json()) == {"code", "message"}

    with t.context():
        make_user("api_user")
    client.post("/accounts/login/", {"login": "api_user", "password": PASSWORD})
    invalid = client.patch("/api/v1/me/", {"language": "xx"}, content_type="application/json")
    assert invalid.status_code == 400
    assert invalid.json()["code"] == "validation_error"
    assert list(invalid.json()["fields"]) == ["language"]

    malformed = client.patch("/api/v1/me/", "{not json", content_type="application/json")
    assert malformed.status_code == 400
    assert malformed.json()["code"] == "parse_error"

    not_allowed = client.delete("/api/v1/me/")
    assert not_allowed.status_code == 405
    assert not_allowed.json()["code"] == "method_not_allowed"
    with t.context():
        from django.contrib.auth import get_user_model

        assert get_user_model().objects.get(username="api_user").language == "ko"


def test_html_404_page_is_translated(tenants):
    t = tenants["academy"]
    korean = t.client().get("/no/such/page/")
    english = t.client(HTTP_ACCEPT_LANGUAGE="en").get("/no/such/page/")
    assert korean.status_code == english.status_code == 404
    assert "페이지를 찾을 수 없습니다" in korean.content.decode()
    assert "Page not found" in english.content.decode()


def test_every_response_carries_a_request_id(tenants):
    from apps.core.request_id import request_id_from

    client = tenants["academy"].client()
    fresh = client.get("/api/v1/site/")["X-Request-ID"]
    assert len(fresh) == 32 and fresh != client.get("/api/v1/site/")["X-Request-ID"]
    assert client.get("/", HTTP_X_REQUEST_ID="lb-1234abcd")["X-Request-ID"] == "lb-1234abcd"
    forged = client.get("/", HTTP_X_REQUEST_ID="x\r\nSet-Cookie: a=b")["X-Request-ID"]
    assert "\n" not in forged and len(forged) == 32
    assert request_id_from("short") != "short"
    assert client.get("/health/live")["X-Request-ID"]
