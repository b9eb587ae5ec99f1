"""The universal identity registry: one person across tenants, siblings kept apart,
nothing but keyed hashes in the public schema, and no tenant can read it."""

from datetime import date

import pytest
from django.db import connection, transaction
from django_tenants.utils import schema_context

from apps.academy.models import Guardian, Student
from apps.academy.services import people
from apps.identity import services
from apps.identity.models import Identity, IdentityKey, IdentityLink
from tests.utils import browser_login, enable_totp, make_user


def upsert(name, birth, guardian, **kw):
    return people.upsert_student(name=name, birth_date=birth, guardian_phone=guardian, guardian_name="보호자", **kw)


def test_the_same_parent_at_two_academies_is_one_identity(tenants, db):
    with tenants["academy"].context():
        a = upsert("김하나", date(2015, 1, 1), "010-1234-5678").student
        guardian_a = Guardian.objects.get(family=a.family)
    with tenants["academy_b"].context():
        # the same numbers, written the way another academy's staff writes them
        b = upsert("김하나", date(2015, 1, 1), "+82 10 1234 5678").student
        guardian_b = Guardian.objects.get(family=b.family)
    assert guardian_a.identity_id and guardian_a.identity_id == guardian_b.identity_id
    assert a.identity_id and a.identity_id == b.identity_id  # the same child, recognised
    assert a.identity_id != guardian_a.identity_id  # a child is not their parent
    assert services.tenants_of(guardian_a.identity_id) == sorted(
        [tenants["academy"].schema, tenants["academy_b"].schema]
    )


def test_siblings_sharing_a_phone_are_two_people(tenants, db):
    with tenants["academy"].context():
        older = upsert("박첫째", date(2014, 2, 2), "010-2222-3333").student
        younger = upsert("박둘째", date(2016, 3, 3), "01022223333").student
        again = upsert("박첫째", date(2014, 2, 2), "010 2222 3333").student
    assert older.family_id == younger.family_id
    assert older.identity_id and younger.identity_id and older.identity_id != younger.identity_id
    assert again.pk == older.pk and again.identity_id == older.identity_id
    # The guardian's phone key points at the guardian, never at a child.
    phone = IdentityKey.objects.get(kind="phone", digest=people.phone_index("01022223333"))
    with tenants["academy"].context():
        assert phone.identity_id == Guardian.objects.get(family=older.family).identity_id


def test_a_student_with_their_own_phone_is_found_by_it(tenants, db):
    with tenants["academy"].context():
        first = people.upsert_student(name="최학생", birth_date=date(2010, 5, 5), phone="010-7777-8888").student
    with tenants["academy_b"].context():
        other = people.upsert_student(name="최학생", phone="01077778888").student
    assert first.identity_id == other.identity_id


def test_the_registry_holds_only_keyed_hashes(tenants, db):
    with tenants["academy"].context():
        upsert("이비밀", date(2015, 6, 6), "010-4444-5555", phone="010-6666-7777")
    with connection.cursor() as cursor:
        cursor.execute("SELECT kind, digest FROM public.identity_identitykey")
        rows = cursor.fetchall()
    assert rows and all(len(digest) == 64 for _kind, digest in rows)
    flat = " ".join(d for _k, d in rows)
    for secret in ("01044445555", "01066667777", "이비밀", "2015-06-06"):
        assert secret not in flat


def test_identity_rows_roll_back_with_the_tenants_change(tenants, db):
    before = Identity.objects.count(), IdentityKey.objects.count(), IdentityLink.objects.count()
    with tenants["academy"].context(), pytest.raises(RuntimeError), transaction.atomic():
        upsert("롤백", date(2015, 7, 7), "010-5555-6666")
        raise RuntimeError("the import failed")
    assert (Identity.objects.count(), IdentityKey.objects.count(), IdentityLink.objects.count()) == before


def test_resolve_many_is_bulk_and_idempotent(tenants, db):
    keys = [[services.phone_key(f"010{n:08d}")] for n in range(50)]
    keys.append(keys[0])  # the same person twice in one batch
    with tenants["academy"].context():
        ids = services.resolve_many(keys)
        assert ids[0] == ids[-1] and len(set(ids)) == 50
        assert services.resolve_many(keys) == ids
        # Nothing to find a person by: a new identity each time, still linking their profiles.
        lonely = services.resolve_many([[None], [None]])
        assert len(set(lonely)) == 2 and not set(lonely) & set(ids)


def test_no_tenant_admin_reaches_the_registry_but_the_operators_do(tenants, member, db):
    from django.test import Client

    _user, client = member("academy", "owner")
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/identity/identity/").status_code == 404
    with schema_context("public"):
        operator = make_user("identity_op", is_staff=True, is_superuser=True)
        secret = enable_totp(operator)
    public = Client(HTTP_HOST="localhost")
    browser_login(public, "identity_op", totp_secret=secret)
    assert public.get("/admin/identity/identity/").status_code == 200


def test_student_rows_carry_no_identity_of_another_person(tenants, db):
    with tenants["academy"].context():
        kid = upsert("정아이", date(2015, 8, 8), "010-8888-9999").student
        assert Student.objects.filter(identity_id=kid.identity_id).count() == 1
        link = IdentityLink.objects.get(profile="academy.student", object_id=kid.pk)
    assert link.schema_name == tenants["academy"].schema and link.identity_id == kid.identity_id


def test_bulk_resolve_through_temporary_tables_agrees_with_one_at_a_time(tenants, db):
    # From services.BULK people on, lookups and inserts join COPY-filled temporary tables.
    people_keys = [[services.phone_key(f"0105555{n:04d}")] for n in range(services.BULK + 100)]
    with tenants["academy"].context(), transaction.atomic():
        one = services.resolve(people_keys[7])
        ids = services.resolve_many(people_keys)
        assert ids[7] == one
        assert len(set(ids)) == len(ids)
        assert services.resolve_many(people_keys) == ids  # found again, nothing new
        services.link_many("academy.guardian", [(n + 1, identity_id) for n, identity_id in enumerate(ids)])
        services.link_many("academy.guardian", [(n + 1, identity_id) for n, identity_id in enumerate(ids)])
        assert IdentityLink.objects.filter(identity_id__in=ids).count() == len(ids)
        assert IdentityKey.objects.filter(identity_id__in=ids).count() == len(ids)
        assert Identity.objects.filter(pk__in=ids).count() == len(ids)


def test_a_key_claimed_between_lookup_and_insert_goes_to_its_first_owner(tenants, db, monkeypatch):
    """What a concurrent import meeting the same new parent looks like: the key was not
    there when looked up, and is there when inserted. The plain insert fails, its
    savepoint is undone, and the keys go in with ON CONFLICT: the person is the owner's."""
    people_keys = [[services.phone_key(f"0106666{n:04d}")] for n in range(services.BULK + 100)]
    real_lookup, calls = services._lookup, []

    def lookup_that_misses_the_first_time(keys):
        calls.append(len(keys))
        found = real_lookup(keys)
        return {} if len(calls) == 1 else found

    with tenants["academy"].context(), transaction.atomic():
        owner = services.resolve(people_keys[3])
        monkeypatch.setattr(services, "_lookup", lookup_that_misses_the_first_time)
        ids = services.resolve_many(people_keys)
        assert len(calls) == 2  # the first look-up, then the winners after the insert came up short
        assert ids[3] == owner and len(set(ids)) == len(ids)
        assert IdentityKey.objects.filter(digest=people_keys[3][0][1]).count() == 1
        assert IdentityKey.objects.filter(identity_id__in=ids).count() == len(ids)


def test_dropping_a_tenant_removes_its_links_and_leaves_the_others(live_tenant):
    from apps.tenancy.services import drop_tenant

    gone, kept = live_tenant("academy"), live_tenant("academy")
    for t in (gone, kept):
        with t.context():
            upsert("정다섯", date(2015, 5, 5), "010-5151-5151")
    identity_id = IdentityLink.objects.get(schema_name=kept.schema, profile="academy.guardian").identity_id
    assert services.tenants_of(identity_id) == sorted([gone.schema, kept.schema])
    drop_tenant(gone.tenant)
    assert services.tenants_of(identity_id) == [kept.schema]
    assert not IdentityLink.objects.filter(schema_name=gone.schema).exists()
