"""The CAT engine's tests are pure: numpy only, no database, no Redis. The project-wide
autouse fixtures that clear Redis keys are replaced here by no-ops (same names), so these
tests run without any server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    yield


@pytest.fixture(autouse=True)
def _fresh_tenant_hosts() -> Iterator[None]:
    yield
