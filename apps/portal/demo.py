"""The parent portal needs no demo data of its own (apps.academy.demo links the `guardian`
login to 김영희, mother of 김민준 and 김서연); this adds the portal to seed_demo's summary."""

from __future__ import annotations

from collections.abc import Iterator


def seed(tenant) -> Iterator[tuple[str, str]]:
    yield "guardian (parent portal)", "/portal/"
