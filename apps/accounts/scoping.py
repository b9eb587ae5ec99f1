"""Object-level scoping: which rows of a model a permission reaches for a user.

Permissions are coarse ("may read students"); a role narrows a resource to a named scope
(apps.accounts.roles: the coach's `student` scope is `assigned`, the guardian's is
`own_children`). Each app says what a scope means for its models, as a Q filter:

    # apps/academy/scopes.py (imported from the app's AppConfig.ready)
    from apps.accounts.scoping import register_scope

    @register_scope(Student, "own_children")
    def _(user):
        return Q(guardian_links__guardian__user=user, guardian_links__status="approved")

    @register_scope(Student, "assigned")
    def _(user):
        return Q(enrollments__klass__coach__user=user)

and services ask for rows through `visible_to` — never `Model.objects.all()` for a user:

    students = visible_to(Student.objects.all(), user, "student:read")
    student = get_visible_or_404(Student.objects.all(), user, "student:update", pk=pk)

Rows outside the user's scope are simply not there (a 404, not a 403: their existence is
not revealed). A user holding the permission through several roles sees the union; one
unscoped role means every row; superusers and `*` holders see everything; no permission
means no rows. A scope a role names but no app registered for the model is a programming
error (ImproperlyConfigured), never an empty or a full result.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from apps.core.registry import Registry

from .permissions import has_permission, roles_granting
from .roles import split

ScopeRule = Callable[[object], Q]
_registry: Registry[ScopeRule] = Registry("scope")  # (model label, scope name) → rule
NOTHING = Q(pk__in=[])


def register_scope(model: type[Model] | str, name: str) -> Callable[[ScopeRule], ScopeRule]:
    """Declare what scope `name` means for `model`: a function of the user returning a Q."""
    label = model if isinstance(model, str) else model._meta.label_lower

    def decorator(rule: ScopeRule) -> ScopeRule:
        _registry.register((label.lower(), name), rule)
        return rule

    return decorator


def scope_rule(model: type[Model], name: str) -> ScopeRule:
    try:
        return _registry[(model._meta.label_lower, name)]
    except KeyError:
        raise ImproperlyConfigured(
            f"scope {name!r} is not registered for {model._meta.label}: add a register_scope rule"
        ) from None


def scope_filter(model: type[Model], user, perm: str) -> Q | None:
    """The filter `perm` puts on `model` for `user`: None for every row, NOTHING for none."""
    resource, _action = split(perm)
    if not has_permission(user, perm):
        return NOTHING
    if user.is_superuser:
        return None
    combined: Q | None = None
    for role in roles_granting(user, perm):
        scope = role.scope_for(resource)
        if scope is None:
            return None
        rule = scope_rule(model, scope)(user)
        combined = rule if combined is None else combined | rule
    return combined


def visible_to(queryset: QuerySet, user, perm: str) -> QuerySet:
    """The rows of `queryset` that `user` may `perm`."""
    condition = scope_filter(queryset.model, user, perm)
    if condition is None:
        return queryset
    if condition is NOTHING:
        return queryset.none()
    # A scope across a to-many relation (children, classes) would repeat rows.
    return queryset.filter(pk__in=queryset.model._default_manager.filter(condition).values("pk"))


def get_visible_or_404(queryset: QuerySet, user, perm: str, **lookup) -> Model:
    try:
        return visible_to(queryset, user, perm).get(**lookup)
    except queryset.model.DoesNotExist:
        record_out_of_scope(queryset, user, perm, **lookup)
        raise Http404 from None


def record_out_of_scope(queryset: QuerySet, user, perm: str, **lookup) -> None:
    """The row exists but the user's scope hides it (a guardian asking for another family's
    child): they get a 404 like for a missing row, and the audit log gets the attempt."""
    from django.core.exceptions import ValidationError

    from apps.audit import actions
    from apps.audit.services import record

    try:
        row = queryset.filter(**lookup).values_list("pk", flat=True).first()
    except (ValueError, TypeError, ValidationError):
        return  # not even a valid key: nothing to hide
    if row is not None:
        record(
            actions.OUT_OF_SCOPE,
            actor=user,
            resource=(queryset.model._meta.label_lower, row),
            details={"permission": perm},
        )


def can_access(obj: Model, user, perm: str) -> bool:
    """Whether one row is within the user's scope for `perm`."""
    return visible_to(type(obj)._default_manager.filter(pk=obj.pk), user, perm).exists()


class ScopedQuerySet(QuerySet):
    """Mix into a model's QuerySet for `Model.objects.visible_to(user, "student:read")`."""

    def visible_to(self, user, perm: str) -> QuerySet:
        return visible_to(self, user, perm)


# ---------------------------------------------------------------------------- live groups
#
# A websocket event is data like a REST response, so it obeys the same scope. Checking
# each event against the database would cost a query per event per socket; instead each
# scope also says which broadcast groups carry only rows inside it, and a socket joins
# those groups when it connects (apps.academy.consumers). A service broadcasting a row
# sends it to the group of every way it can be reached (the whole tenant, its class, its
# student), so each socket hears exactly the rows of its groups:
#
#     @register_groups(Attendance, "own_children")
#     def _(user):
#         return [f"student.{pk}" for pk in Student.objects.filter(...).values_list("pk", flat=True)]

GroupRule = Callable[[object], "list[str]"]
_group_registry: Registry[GroupRule] = Registry("broadcast groups")  # (model label, scope) → rule


def register_groups(model: type[Model] | str, name: str) -> Callable[[GroupRule], GroupRule]:
    """Declare the broadcast groups (names without the stream prefix) whose rows of `model`
    all lie inside scope `name` for a user: a function of the user returning names."""
    label = model if isinstance(model, str) else model._meta.label_lower

    def decorator(rule: GroupRule) -> GroupRule:
        _group_registry.register((label.lower(), name), rule)
        return rule

    return decorator


def scoped_groups(model: type[Model], user, perm: str) -> list[str] | None:
    """The groups a socket of `user` may join to hear rows of `model` under `perm`: None
    for every row (the tenant-wide group), [] for none. A scope without a group rule is a
    programming error, never a silent full or empty stream."""
    resource, _action = split(perm)
    if not getattr(user, "is_authenticated", False) or not has_permission(user, perm):
        return []
    if user.is_superuser:
        return None
    groups: set[str] = set()
    for role in roles_granting(user, perm):
        scope = role.scope_for(resource)
        if scope is None:
            return None
        try:
            rule = _group_registry[(model._meta.label_lower, scope)]
        except KeyError:
            raise ImproperlyConfigured(
                f"scope {scope!r} has no broadcast groups for {model._meta.label}: add a register_groups rule"
            ) from None
        groups.update(rule(user))
    return sorted(groups)
