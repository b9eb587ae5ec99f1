"""Seed 003's password rule (8+ characters, upper, lower, digit, special) and Django's
common-password list, on sign-up (browser and app), password change and the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from tests.utils import PASSWORD, browser_login, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("password", "codes"),
    [
        ("Sh0rt!", {"password_too_short"}),
        ("alllower1!", {"password_no_upper"}),
        ("ALLUPPER1!", {"password_no_lower"}),
        ("NoDigits!!", {"password_no_digit"}),
        ("NoSpecial12", {"password_no_special"}),
        ("Password1!", {"password_too_common"}),
        ("qzx", {"password_too_short", "password_no_upper", "password_no_digit", "password_no_special"}),
    ],
)
def test_the_rule(password, codes):
    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    assert {e.code for e in refused.value.error_list} == codes


def test_a_good_password_passes():
    validate_password(PASSWORD)
    validate_password("Megacity!2026")  # the demo password


def test_browser_sign_up_refuses_a_weak_password_in_korean(tenants):
    t = tenants["academy"]
    form = {"username": "weakling", "email": "w@example.com", "password1": "weakpass1", "password2": "weakpass1"}
    response = t.client().post("/accounts/signup/", form)
    assert response.status_code == 200
    assert "대문자" in response.content.decode()
    with t.context():
        assert not get_user_model().objects.filter(username="weakling").exists()


def test_app_sign_up_refuses_a_weak_password_naming_the_field(tenants):
    t = tenants["zone"]
    response = t.client().post(
        "/_allauth/app/v1/auth/signup",
        {"username": "weakapp", "email": "wa@example.com", "password": "NoSpecial12"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["param"] for e in errors] == ["password"]
    assert "one of these characters" in errors[0]["message"]
    with t.context():
        assert not get_user_model().objects.filter(username="weakapp").exists()


def test_password_change_refuses_a_weak_password(tenants):
    t = tenants["store"]
    with t.context():
        make_user("changer")
    client = t.client()
    browser_login(client, "changer")
    response = client.post(
        "/accounts/password/change/", {"oldpassword": PASSWORD, "password1": "alllower1!", "password2": "alllower1!"}
    )
    assert response.status_code == 200 and "대문자" in response.content.decode()
    with t.context():
        assert get_user_model().objects.get(username="changer").check_password(PASSWORD)


def test_the_admin_refuses_a_weak_password(member, tenants):
    _owner, client = member("club", "floor_manager")
    response = client.post(
        "/admin/accounts/user/add/",
        {"username": "weak_admin_made", "password1": "NoDigits!!", "password2": "NoDigits!!"},
    )
    assert response.status_code == 200 and "숫자" in response.content.decode()
    with tenants["club"].context():
        assert not get_user_model().objects.filter(username="weak_admin_made").exists()
