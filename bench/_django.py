"""Shared set-up for the benchmark scripts: Django from the repository root."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    # Benchmarks send hundreds of requests a minute as one user: they measure the code, not
    # the rate limits (which would answer 429 after 100). Set it to true to include them.
    os.environ.setdefault("RATE_LIMITS_ENABLED", "false")
    import django

    django.setup()
