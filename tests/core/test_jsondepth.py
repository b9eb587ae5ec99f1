"""JSON nested deeper than JSON_MAX_DEPTH is refused with 400 before anything parses it
(issue 12, defect 2): 100,000 `[` (200 KB, under the size limit) was a RecursionError (500)
on the allauth app login, the payment webhooks and the API."""

import json

import pytest

from apps.core import jsondepth

DEEP = "[" * 100_000  # 100 KB; with the closing brackets 200 KB
DEEP_CLOSED = DEEP + "]" * 100_000


def test_the_scan_counts_nesting_not_brackets():
    assert jsondepth.depth_exceeds(DEEP, 64)
    assert jsondepth.depth_exceeds("[" * 65 + "]" * 65, 64)
    assert not jsondepth.depth_exceeds("[" * 64 + "]" * 64, 64)
    assert jsondepth.depth_exceeds('{"a":' * 65 + "1" + "}" * 65, 64)
    # Brackets inside strings (escaped quotes included) are text, and siblings are not depth.
    assert not jsondepth.depth_exceeds(json.dumps({"a": "[" * 1000, "b": '\\"[[[' * 100}), 64)
    assert not jsondepth.depth_exceeds(json.dumps([[1], [2]] * 5000), 64)
    assert not jsondepth.depth_exceeds(json.dumps([{"x": [{"y": [1]}]}] * 100), 5)  # five levels
    assert jsondepth.depth_exceeds(json.dumps([{"x": [{"y": [1]}]}]), 4)


def test_loads_refuses_with_a_value_error_before_recursing():
    with pytest.raises(jsondepth.TooDeep) as refused:
        jsondepth.loads(DEEP_CLOSED)
    assert isinstance(refused.value, ValueError) and refused.value.limit == 64
    assert jsondepth.loads('{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
    with pytest.raises(RecursionError):
        json.loads(DEEP_CLOSED)  # what happened without the check


@pytest.mark.parametrize(
    "path",
    [
        "/_allauth/app/v1/auth/login",
        "/_allauth/browser/v1/auth/login",
        "/api/v1/payments/webhooks/sandbox/",
        "/api/v1/payments/webhooks/toss/",
        "/api/v1/payments/webhooks/payssam/",
        "/api/v1/me/",
    ],
)
@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_every_json_entry_point_answers_400_to_a_deep_body(tenants, db, path, content_type):
    from apps.payments.models import GatewayConfig

    # Configured gateways: an unconfigured one answers 404 before reading the body, and the
    # 500 was found on a configured one (its parser recursed).
    with tenants["academy"].context():
        for gateway in ("sandbox", "toss", "payssam"):
            GatewayConfig.objects.update_or_create(
                gateway=gateway, defaults={"base_url": "http://127.0.0.1:9/", "client_key": "k", "secret": "s"}
            )
    client = tenants["academy"].client(raise_request_exception=False)
    response = client.post(path, DEEP_CLOSED, content_type=content_type)
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    if path.startswith("/_allauth/"):
        assert body["status"] == 400 and body["errors"][0]["code"] == "invalid"
    else:
        assert body["code"] == "parse_error" and "64" in body["message"]


def test_the_api_refuses_a_deep_body_from_a_signed_in_user(tenants, db, member):
    _user, client = member("academy", "staff")
    client.raise_request_exception = False
    for method in ("post", "put", "patch"):
        response = getattr(client, method)("/api/v1/consultations/", DEEP_CLOSED, content_type="application/json")
        assert response.status_code == 400, (method, response.content[:300])
        assert response.json()["code"] == "parse_error"
    # A body as deep as the limit is parsed as usual (and refused for what it says, not how it nests).
    fine = client.post("/api/v1/consultations/", "[" * 64 + "]" * 64, content_type="application/json")
    assert fine.status_code == 400 and fine.json()["code"] == "validation_error"


def test_the_parser_checks_too_where_no_middleware_runs(tenants, db):
    from io import BytesIO

    from rest_framework.exceptions import ParseError

    from apps.core.api.parsers import DepthLimitedJSONParser

    with pytest.raises(ParseError):
        DepthLimitedJSONParser().parse(BytesIO(DEEP_CLOSED.encode()))
    assert DepthLimitedJSONParser().parse(BytesIO(b'{"a": [[1]]}')) == {"a": [[1]]}


def test_gateway_parsers_treat_a_deep_body_as_a_bad_webhook():
    from apps.payments.gateways import BadWebhook
    from apps.payments.gateways.payssam import PaySsam
    from apps.payments.gateways.toss import Toss

    for adapter_class in (Toss, PaySsam):  # (the sandbox's checks its signature first)
        adapter = adapter_class.__new__(adapter_class)
        with pytest.raises(BadWebhook):
            adapter.parse_webhook(DEEP_CLOSED.encode(), {})


def test_a_nul_character_anywhere_in_a_json_body_is_a_field_error_not_a_500(tenants, db, member):
    """PostgreSQL's jsonb cannot hold U+0000: an AI job whose prompt held one failed at the
    INSERT with a 500 (found by the fuzzer). The parser names the top-level field instead."""
    from apps.inference.jobs.models import InferenceJob

    _user, client = member("academy", "staff")
    client.raise_request_exception = False
    body = '{"kind": "llm", "inputs": {"prompt": "hi\\u0000there"}}'
    response = client.post("/api/v1/inference/jobs/", body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["codes"] == {"inputs": ["null_characters_not_allowed"]}
    with tenants["academy"].context():
        assert not InferenceJob.objects.exists()
    # An escaped backslash before "u0000" is text, not a NUL: parsed and judged as usual.
    fine = client.post(
        "/api/v1/inference/jobs/",
        '{"kind": "llm", "inputs": {"prompt": "a\\\\u0000b"}}',
        content_type="application/json",
    )
    assert fine.status_code != 500 and "null_characters_not_allowed" not in fine.content.decode()
