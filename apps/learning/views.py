"""The zone's web app, server-rendered: what each role starts from."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from apps.accounts.permissions import has_permission
from apps.accounts.scoping import visible_to

from .models import Klass, Student
from .services.links import children_of


@login_required
def dashboard(request):
    user = request.user
    student = Student.objects.filter(user=user).first()
    context = {
        "student": student,
        "classes": list(visible_to(Klass.objects.all(), user, "class:read"))
        if has_permission(user, "class:read")
        else [],
        "children": children_of(user) if has_permission(user, "link:create") else [],
        "pending_links": student.parent_links.filter(status="pending").select_related("parent") if student else [],
    }
    return render(request, "learning/dashboard.html", context)
