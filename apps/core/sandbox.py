"""The one guard of the local provider sandboxes (each app's `sandbox/`: fake gateways and
message providers speaking the real protocols over HTTP on loopback).

    @sandbox_view
    def toss_confirm(request): ...

A sandbox view answers 404 unless SANDBOX_ENABLED (development and tests; production
refuses the setting, apps.core.checks), and is exempt from CSRF like the real provider's
API it stands in for.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.http import HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt


def sandbox_view(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.SANDBOX_ENABLED:
            return HttpResponseNotFound()
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)
