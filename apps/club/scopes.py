"""A player's `own` hands are the hands they were dealt into (apps.accounts.scoping): the
same rule for the API, the admin and the hand-history pages."""

from django.db.models import Q

from apps.accounts.scoping import register_scope

from .models import Hand

register_scope(Hand, "own")(lambda user: Q(players=user))
