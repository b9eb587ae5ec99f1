"""The player's pages: the lobby, a table (server-rendered; a small script under the CSP
nonce speaks club.json.v1 over the table's websocket), and their hand history with PHH."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from apps.accounts.permissions import has_permission
from apps.accounts.scoping import visible_to

from .lobby import digest
from .models import Hand, Table


def _may_watch(request) -> None:
    if not has_permission(request.user, "table:read"):
        raise PermissionDenied(_("Only the club's players and staff see its tables."))


@login_required
def lobby(request):
    _may_watch(request)
    return render(request, "club/lobby.html", {"tables": digest()})


@login_required
def table(request, table_id: int):
    _may_watch(request)
    table = get_object_or_404(Table, pk=table_id)
    return render(
        request,
        "club/table.html",
        {"table": table, "seats": range(1, table.max_seats + 1), "may_sit": has_permission(request.user, "seat:take")},
    )


def _my_hands(request):
    if not has_permission(request.user, "hand:read"):
        raise PermissionDenied(_("You have no hand history here."))
    return visible_to(Hand.objects.select_related("table"), request.user, "hand:read")


@login_required
def hands(request):
    rows = _my_hands(request).order_by("-ended_at", "-id")[:100]
    return render(request, "club/hands.html", {"hands": rows})


@login_required
def hand_phh(request, hand_id: int):
    from .api.views import export_phh

    hand = get_object_or_404(_my_hands(request), pk=hand_id)
    response = HttpResponse(export_phh(hand), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="hand-{hand.table_id}-{hand.number}.phh"'
    return response
