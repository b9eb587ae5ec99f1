"""Stores and their listings."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.pii import encrypt

from ..models import Listing, Platform, Store
from . import plans
from .common import invalid, record

STORE_FIELDS = {
    "name",
    "category",
    "address",
    "tone",
    "signoff",
    "avoid_words",
    "reply_max_length",
    "auto_reply_positive",
    "quiet_start",
    "quiet_end",
    "alert_phone",
    "alert_telegram_chat_id",
}


def _clean(fields: dict) -> dict:
    unknown = set(fields) - STORE_FIELDS
    if unknown:
        raise invalid(**{name: _("Unknown field.") for name in sorted(unknown)})
    if "name" in fields and not str(fields["name"]).strip():
        raise invalid(name=_("A store needs a name."))
    if "category" in fields and fields["category"] not in Store.Category.values:
        raise invalid(category=_("Unknown category %(value)s.") % {"value": fields["category"]})
    if "avoid_words" in fields and not isinstance(fields["avoid_words"], list):
        raise invalid(avoid_words=_("A list of words."))
    return fields


@transaction.atomic
def create_store(*, actor, **fields) -> Store:
    plans.check_store_limit()
    store = Store(**_clean(fields))
    store.full_clean()
    store.save()
    record("store.created", store, actor, name=store.name, plan=plans.current().code)
    return store


@transaction.atomic
def update_store(store: Store, *, actor, **fields) -> Store:
    store = Store.objects.select_for_update().get(pk=store.pk)
    for name, value in _clean(fields).items():
        setattr(store, name, value)
    store.full_clean()
    store.save()
    record("store.updated", store, actor, fields=sorted(fields))
    return store


@transaction.atomic
def archive_store(store: Store, *, actor) -> Store:
    store.archived = True
    store.save(update_fields=["archived", "updated_at"])
    record("store.archived", store, actor)
    return store


@transaction.atomic
def assign_staff(store: Store, users, *, actor) -> None:
    store.staff.set(users)
    record("store.staff_assigned", store, actor, users=[u.pk for u in users])


@transaction.atomic
def set_listing(store: Store, *, platform: str, place_id: str, url: str = "", actor, oauth_token: str = "") -> Listing:
    if platform not in Platform.values:
        raise invalid(platform=_("Unknown platform %(value)s.") % {"value": platform})
    if not place_id.strip():
        raise invalid(place_id=_("The place id is required."))
    if platform == Platform.GOOGLE and not place_id.startswith("accounts/"):
        raise invalid(place_id=_("A Google location name looks like accounts/…/locations/…."))
    listing, _created = Listing.objects.update_or_create(
        store=store, platform=platform, defaults={"place_id": place_id.strip(), "url": url}
    )
    if oauth_token:
        listing.oauth_token = encrypt(oauth_token)
        listing.save(update_fields=["oauth_token"])
    record("store.listing_set", store, actor, platform=platform, place_id=listing.place_id)
    return listing
