"""The staff role's `assigned` scope: the stores they are assigned to, and those stores'
reviews, drafts, reports and alerts (apps.accounts.scoping)."""

from django.db.models import Q

from apps.accounts.scoping import register_scope

from .models import Alert, IngestionSession, ReplyDraft, Report, Review, Store

register_scope(Store, "assigned")(lambda user: Q(staff=user))
register_scope(Review, "assigned")(lambda user: Q(store__staff=user))
register_scope(ReplyDraft, "assigned")(lambda user: Q(review__store__staff=user))
register_scope(Report, "assigned")(lambda user: Q(store__staff=user))
register_scope(Alert, "assigned")(lambda user: Q(review__store__staff=user))
register_scope(IngestionSession, "assigned")(lambda user: Q(store__staff=user))
