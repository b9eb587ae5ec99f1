"""What other parts of the zone do when an attempt finishes (leaderboards, live rooms):
functions of the attempt appended here from LearningConfig.ready(), run in the finishing
transaction (each defers its own side effects to on_commit)."""

from __future__ import annotations

from collections.abc import Callable

FINISHED: list[Callable] = []
