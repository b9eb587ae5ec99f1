"""What the schema promises about values matches what the API takes (issue 12, "20
schema-valid requests were refused"): dates, date-times, phone numbers, and the
machine-readable codes in the error body that tell a refusal by state from a bad request."""

from __future__ import annotations

import datetime
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from apps.core.api.fields import PHONE_PATTERN, PlausibleDateField, PlausibleDateTimeField
from apps.core.api.schema import DATE_PATTERN, DATE_TIME_PATTERN
from apps.core.normalise import normalise_phone


@settings(max_examples=3000, deadline=None)
@given(st.from_regex(PHONE_PATTERN, fullmatch=True))
def test_every_phone_the_schema_admits_is_one_the_api_reads(phone):
    assert normalise_phone(phone)


@pytest.mark.parametrize(
    "phone", ["010-1234-5678", "+82 10 1234 5678", "02-123-4567", "0505-1234-5678", "+82 505 1234 5678"]
)
def test_common_ways_of_writing_a_phone_match_the_pattern(phone):
    assert re.match(PHONE_PATTERN, phone)


@pytest.mark.parametrize("phone", ["to", "010.1234.5678", "12345", "+1 415 555 0100", ""])
def test_what_is_not_a_korean_phone_number_does_not_match(phone):
    assert not re.match(PHONE_PATTERN, phone)


@settings(max_examples=3000, deadline=None)
@given(st.dates(min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31)))
def test_the_date_pattern_admits_exactly_the_dates_the_api_takes(day):
    text = day.isoformat()
    try:
        PlausibleDateField().to_internal_value(text)
        accepted = True
    except ValidationError:
        accepted = False
    assert bool(re.match(DATE_PATTERN, text)) == accepted, text


@pytest.mark.parametrize("text", ["2024-02-29", "2000-02-29", "1904-02-29"])
def test_leap_days_match(text):
    assert re.match(DATE_PATTERN, text)


@pytest.mark.parametrize("text", ["1900-02-29", "2100-02-29", "2023-02-29", "2023-04-31", "1899-12-31", "2101-01-01"])
def test_days_that_do_not_exist_or_are_out_of_range_do_not_match(text):
    assert not re.match(DATE_PATTERN, text)


def test_a_utc_offset_beyond_14_hours_is_refused_not_sent_to_postgresql():
    """PostgreSQL refused "+21:28" with a 500 on the audit log's filter."""
    assert not re.match(DATE_TIME_PATTERN, "1961-07-04T23:04:38.600000+21:28")
    assert re.match(DATE_TIME_PATTERN, "2026-12-04T09:00:00+09:00")
    with pytest.raises(ValidationError):
        PlausibleDateTimeField().to_internal_value("1961-07-04T23:04:38.600000+21:28")


@pytest.mark.parametrize("tenant_type", ["academy", "zone", "store", "club"])
def test_no_query_parameter_is_a_number_the_filter_caps_unannounced(tenant_type, tenants, db):
    """django-filter's NumberFilter refuses values above 1e50, which a plain `number` in the
    schema admits: the fuzzer's `?problem=3.9e+146` on /submissions/ was a schema-valid
    request refused with 400. Ids take `IdFilter` (an integer: any whole number, one that
    names no row lists nothing); a small range is an enum or has bounds."""
    schema = tenants[tenant_type].client().get("/api/schema/", {"format": "json"}).json()
    unannounced = [
        f"{method.upper()} {path} ?{parameter['name']}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
        and parameter["schema"].get("type") == "number"
        and "maximum" not in parameter["schema"]
    ]
    assert unannounced == []


def test_huge_ids_and_out_of_range_stars_in_filters(tenants, member, db):
    _user, zone_teacher = member("zone", "teacher")
    for name in ("problem", "student"):
        response = zone_teacher.get("/api/v1/submissions/", {name: "3.9552549598652966e+146"})
        assert response.status_code == 400 and list(response.json()["fields"]) == [name]  # not an integer
        response = zone_teacher.get("/api/v1/submissions/", {name: 10**40})
        assert response.status_code == 200 and response.json()["results"] == []
    _user, store_staff = member("store", "staff")
    assert store_staff.get("/api/v1/reviews/", {"rating": 5}).status_code == 200
    refused = store_staff.get("/api/v1/reviews/", {"rating": 6})
    assert refused.status_code == 400 and list(refused.json()["fields"]) == ["rating"]
