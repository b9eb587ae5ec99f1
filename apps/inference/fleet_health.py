"""The fleet's part of `/health/ready`: "ok" when every kind has a usable server,
"degraded" when some kind has none but its CPU default serves (the instance stays ready:
AI features work, slower), "down" for a kind with neither. Readiness never fails on the
fleet: the rest of the platform serves without it."""

from __future__ import annotations


def status() -> tuple[str, dict]:
    from . import fleet

    kinds = {}
    for row in fleet.overview():
        kinds[row["kind"]] = {
            "state": row["state"],
            "servers": sum(1 for s in row["servers"] if s["server"].enabled),
            "default": row["default"].ident if row["default"] else None,
        }
    states = {k["state"] for k in kinds.values()}
    overall = "ok" if states == {"ok"} else ("degraded" if states <= {"ok", "degraded"} else "down")
    return overall, {"kinds": kinds}
