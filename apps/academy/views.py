"""Server-rendered staff pages: the dashboard with the live attendance board."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from apps.accounts.permissions import has_permission

from .models import Attendance
from .services import dashboard


@login_required
def dashboard_page(request):
    """Today's classes with live attendance, what is unpaid, consultations to follow up and
    V-Index alerts. The board updates over ws/academy/attendance/ as check-ins happen."""
    if not has_permission(request.user, "dashboard:read"):
        raise PermissionDenied
    # The board's broadcasts carry status codes (one message for every viewer, whatever
    # their language); the page gives the viewer's labels for them.
    labels = {str(code): str(label) for code, label in Attendance.Status.choices}
    return render(
        request, "academy/dashboard.html", {"summary": dashboard.summary(request.user), "status_labels": labels}
    )
