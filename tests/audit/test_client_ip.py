import pytest
from django.test import override_settings

from apps.audit.request_context import client_ip


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("198.51.100.1", None, "198.51.100.1"),
        ("198.51.100.1", "1.2.3.4", "198.51.100.1"),  # not a proxy: header ignored
        ("10.0.0.5", "1.2.3.4", "1.2.3.4"),
        ("10.0.0.5", "1.2.3.4, 10.0.0.9", "1.2.3.4"),  # skips trusted hops from the right
        ("10.0.0.5", "9.9.9.9, 1.2.3.4", "1.2.3.4"),  # the left part is the client's to invent
        ("10.0.0.5", "garbage, 1.2.3.4", "1.2.3.4"),
        ("10.0.0.5", "1.2.3.4, garbage", "10.0.0.5"),
        ("10.0.0.5", "10.0.0.6", "10.0.0.5"),
        ("::1", "2001:db8::1", "2001:db8::1"),
        ("not-an-ip", None, None),
    ],
)
@override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "::1/128"])
def test_client_ip(peer, forwarded, expected):
    assert client_ip(peer, forwarded) == expected
