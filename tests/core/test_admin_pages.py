"""Every page the back office links to renders, on every tenant type: each model's list and
add page, followed from the admin index as a superuser (who sees them all). A template
that breaks (say, a filter used without its `{% load %}`) answers 500 here, not to staff."""

import re

import pytest

from tests.utils import browser_login, enable_totp, make_user

pytestmark = pytest.mark.django_db

LINK = re.compile(r'href="(/admin/[a-z_]+/[a-z_]+/(?:add/)?)"')


@pytest.mark.parametrize("kind", ["academy", "zone", "store", "club"])
def test_every_list_and_add_page_of_the_admin_renders(tenants, kind):
    t = tenants[kind]
    with t.context():
        root = make_user(f"root_{kind}", is_staff=True, is_superuser=True)
        secret = enable_totp(root)
    client = t.client()
    browser_login(client, root.username, totp_secret=secret)
    index = client.get("/admin/")
    assert index.status_code == 200
    pages = sorted(set(LINK.findall(index.content.decode())))
    assert len(pages) >= 5, pages
    broken = {}
    for path in pages:
        response = client.get(path)
        if response.status_code != 200:
            broken[path] = response.status_code
    assert not broken, broken
