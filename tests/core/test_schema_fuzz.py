"""Schema-driven API fuzzing (issue 12): schemathesis against every tenant type's OpenAPI
schema, signed in as each of the type's roles (and anonymous), positive and negative
examples. Fails on any 5xx and on any response that does not conform to the schema
(undeclared status, wrong content type, body not matching the declared schema), on
schema-invalid requests that are accepted, and on schema-valid requests that are refused
as malformed: a schema-valid request may only be refused for what no schema can know (an
id or PIN that names nothing: every field's error code `does_not_exist`), by permission,
by scope (404) or as a conflict (409).

Bounded for CI: EXAMPLES examples per operation, mode and role, derandomised (the same
examples on every run, so a failure is reproducible and the run cannot flake). Requests go
through Django's WSGI handler in-process, inside the test's transaction, with the tenant's
host and an allauth app session token, exactly as an app sends them.
"""

from __future__ import annotations

import os
from datetime import date

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import FlakyStrategyDefinition, Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from apps.accounts.roles import roles_for

# Examples per operation and role: positive (schema-valid) and negative (schema-invalid);
# anonymous callers get one positive example per operation (everything answers 401).
EXAMPLES = {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 3}

# Why a well-formed request may still be refused, which no schema can describe: what it
# names does not exist, or the state of the books says no.
REFUSED_BY_STATE = {
    "does_not_exist",
    "insufficient_funds",
    "rate_limited",
    "idempotency_conflict",
    "halted",
    "plan_limit",
}


# A rule of every text field the schemas leave unsaid: no NUL character (PostgreSQL's text
# cannot hold one; DRF's CharField refuses it with this code, naming the field). Declaring it
# in each string's pattern would need an escape not every client's regex dialect reads.
REFUSED_BY_TEXT_RULES = {"null_characters_not_allowed"}


@schemathesis.check
def schema_valid_request_accepted(ctx, response, case):
    """schemathesis' positive_data_acceptance (2xx, 401, 403, 404, 409, 429 for a
    schema-valid request), except a validation error whose every field says only that what
    it names does not exist, or that the current state refuses it (REFUSED_BY_STATE): the
    schema describes ids and amounts, not which ones are in the database."""

    if case.meta is not None and case.meta.generation.mode.is_positive and response.status_code == 400:
        try:
            body = response.json()
        except ValueError:
            body = {}
        codes = [code for field in (body.get("codes") or {}).values() for code in field]
        if body.get("code") == "validation_error" and codes and set(codes) <= REFUSED_BY_STATE | REFUSED_BY_TEXT_RULES:
            return None
    return positive_data_acceptance(ctx, response, case)


@schemathesis.check
def no_server_error(ctx, response, case):
    """No 5xx, except a 503 the operation declares: a provider it needs (the payment
    gateway's sandbox is not started here) does not answer, and the API says so."""
    if response.status_code == 503 and "503" in case.operation.definition.raw.get("responses", {}):
        return None
    return not_a_server_error(ctx, response, case)


CHECKS = [
    no_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    schema_valid_request_accepted,
]
TYPES = ["academy", "zone", "store", "club"]
# Debugging aid: FUZZ_ONLY="/sessions/" fuzzes only the operations whose label contains it.
ONLY = os.environ.get("FUZZ_ONLY", "")


class InTestWSGIHandler(WSGIHandler):
    """Django's WSGI handler, minus closing the database connection at each request's end
    (what Django's own test client does too): the requests run inside the test's transaction."""

    def __call__(self, environ, start_response):
        from django.core import signals
        from django.db import close_old_connections

        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            response = super().__call__(environ, start_response)
            body = b"".join(response)
            response.close()
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
        return [body]


def _seed_academy(t) -> None:
    from apps.academy.services import billing, enrollment
    from tests.academy.conftest import build_academy, student

    academy = build_academy(t)
    with t.context():
        kid = student("내아이", date(2015, 1, 1), "010-1111-2222")
        enrollment.enroll(kid, academy.klass, starts_on=date(2026, 12, 1))
        billing.issue_monthly_invoices(date(2026, 12, 1))


def _token(client) -> str:
    """The signed-in test client's session, used as the app's X-Session-Token."""
    return client.session.session_key


def _roles(tenant_type: str) -> list[str | None]:
    return [None, *sorted(roles_for(tenant_type))]


@pytest.mark.slow
@pytest.mark.parametrize("tenant_type", TYPES)
def test_every_operation_conforms_to_the_schema_for_every_role(tenant_type, tenants, member, settings_, db):
    t = tenants[tenant_type]
    if tenant_type == "academy":
        _seed_academy(t)
    raw = t.client().get("/api/schema/", {"format": "json"})
    assert raw.status_code == 200
    schema = schemathesis.openapi.from_dict(raw.json())
    schema.app = InTestWSGIHandler()
    base_url = f"http://{t.domain}"

    failures: list[str] = []
    for role in _roles(tenant_type):
        headers = {}
        if role is not None:
            _user, client = member(tenant_type, role)
            headers["X-Session-Token"] = _token(client)
        for result in schema.get_all_operations():
            operation = result.ok()
            if ONLY and ONLY not in operation.label:
                continue
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                examples = EXAMPLES[mode] if role else (1 if mode == GenerationMode.POSITIVE else 0)
                failure = examples and _fuzz(operation, mode, base_url, headers, examples)
                if failure:
                    failures.append(f"[{role or 'anonymous'}] {operation.label} ({mode.value}): {failure}")
    assert not failures, f"{len(failures)} failures:\n" + "\n\n".join(failures)


def _fuzz(operation, mode, base_url: str, headers: dict, examples: int) -> str | None:
    strategy = operation.as_strategy(generation_mode=mode)

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        response = case.call(base_url=base_url, headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        run()
    except Unsatisfiable:
        return None  # no invalid request exists (an operation without parameters or body)
    except FlakyStrategyDefinition:
        return None  # hypothesis' own generation differed between runs: nothing the API did
    except BaseException as exc:  # a failed check (an exception group): report it with the others
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        inner = "\n".join(str(e) for e in getattr(exc, "exceptions", ()))
        return f"{exc}\n{inner}"[:3000]
    return None


@pytest.fixture
def settings_(settings):
    """Rate limits off (hundreds of requests a minute per user), and the December pinned
    clock is not needed: the fuzzer's dates are arbitrary."""
    settings.RATE_LIMITS_ENABLED = False
    return settings
