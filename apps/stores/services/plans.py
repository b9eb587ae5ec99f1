"""Plans of seed 002 and their feature matrix, enforced here (every service that needs a
feature calls `require`), with a message naming the plan.

| plan       | stores    | reply drafts | analytics | billing |
| free       | 1         | no           | basic     | no      |
| basic      | 3         | yes          | basic     | yes     |
| premium    | 10        | yes          | advanced  | yes     |
| enterprise | unlimited | yes          | full      | yes     |
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Store, Subscription

ANALYTICS_LEVELS = ("basic", "advanced", "full")


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    max_stores: int | None  # None: unlimited
    reply_drafts: bool
    analytics: str
    billing: bool

    @property
    def label(self) -> str:
        return str(PLAN_LABELS[self.code])


PLANS: dict[str, Plan] = {
    p.code: p
    for p in [
        Plan("free", "Free", 1, reply_drafts=False, analytics="basic", billing=False),
        Plan("basic", "Basic", 3, reply_drafts=True, analytics="basic", billing=True),
        Plan("premium", "Premium", 10, reply_drafts=True, analytics="advanced", billing=True),
        Plan("enterprise", "Enterprise", None, reply_drafts=True, analytics="full", billing=True),
    ]
}
PLAN_LABELS = {
    "free": gettext_lazy("Free"),
    "basic": gettext_lazy("Basic"),
    "premium": gettext_lazy("Premium"),
    "enterprise": gettext_lazy("Enterprise"),
}
FEATURE_LABELS = {
    "reply_drafts": gettext_lazy("reply drafts"),
    "advanced_analytics": gettext_lazy("advanced analytics"),
    "full_analytics": gettext_lazy("full analytics"),
    "billing": gettext_lazy("billing management"),
}


def subscription() -> Subscription:
    sub, _created = Subscription.objects.get_or_create(singleton=True)
    return sub


def current() -> Plan:
    return PLANS.get(subscription().plan, PLANS["free"])


def allows(feature: str, plan: Plan | None = None) -> bool:
    plan = plan or current()
    if feature == "reply_drafts":
        return plan.reply_drafts
    if feature == "billing":
        return plan.billing
    if feature in ("advanced_analytics", "full_analytics"):
        wanted = feature.removesuffix("_analytics")
        return ANALYTICS_LEVELS.index(plan.analytics) >= ANALYTICS_LEVELS.index(wanted)
    raise ValueError(f"unknown feature {feature!r}")


def beyond_plan(**errors: str) -> ValidationError:
    """What the plan does not allow, with the code `plan_limit`: the request is well formed,
    the subscription says no (an upgrade, not a correction, is the answer)."""
    return ValidationError({field: [ValidationError(message, code="plan_limit")] for field, message in errors.items()})


def require(feature: str, *, field: str = "plan") -> Plan:
    plan = current()
    if not allows(feature, plan):
        raise beyond_plan(
            **{
                field: _("The %(plan)s plan does not include %(feature)s; upgrade to use it.")
                % {"plan": plan.label, "feature": FEATURE_LABELS[feature]}
            }
        )
    return plan


def check_store_limit() -> None:
    plan = current()
    if plan.max_stores is None:
        return
    if Store.objects.filter(archived=False).count() >= plan.max_stores:
        raise beyond_plan(
            plan=_("The %(plan)s plan allows %(count)d store(s); upgrade to add another.")
            % {"plan": plan.label, "count": plan.max_stores}
        )
