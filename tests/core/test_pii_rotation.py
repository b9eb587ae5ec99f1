"""manage.py rotate_pii_keys: re-encrypts with the newest Fernet key (so the old one can be
dropped) and recomputes blind indexes after PII_BLIND_INDEX_KEY changed."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from apps.academy.models import Guardian, Student
from apps.academy.services import people
from apps.core import pii

pytestmark = pytest.mark.django_db


@pytest.fixture
def keys(settings):
    yield settings
    pii.reset_keys()


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_rotation_moves_every_value_to_the_new_key(tenants, keys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys.PII_ENCRYPTION_KEYS = [old]
    pii.reset_keys()
    t = tenants["academy"]
    with t.context():
        made = people.upsert_student(
            name="회전", birth_date=date(2014, 5, 6), guardian_phone="010-4444-5555", guardian_name="보호자"
        ).student
        before = raw("academy_student", "birth_date", made.pk)

    keys.PII_ENCRYPTION_KEYS = [new, old]
    out = StringIO()
    call_command("rotate_pii_keys", schema=t.schema, stdout=out)
    assert f"{t.schema}: " in out.getvalue() and "values re-encrypted" in out.getvalue()

    keys.PII_ENCRYPTION_KEYS = [new]  # the old key is gone
    pii.reset_keys()
    with t.context():
        after = raw("academy_student", "birth_date", made.pk)
        assert after != before and after.startswith(pii.PREFIX)
        student = Student.objects.get(pk=made.pk)
        assert student.birth_date == date(2014, 5, 6)
        assert Guardian.objects.get(phone_index=people.phone_index("01044445555")).phone == "01044445555"


def test_without_rotation_the_old_key_cannot_be_dropped(tenants, keys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys.PII_ENCRYPTION_KEYS = [old]
    pii.reset_keys()
    with tenants["academy"].context():
        made = people.upsert_student(name="안회전", birth_date=date(2014, 5, 6), guardian_phone="010-4444-6666").student
        keys.PII_ENCRYPTION_KEYS = [new]
        pii.reset_keys()
        with pytest.raises(ValueError, match="no matching key"):
            Student.objects.get(pk=made.pk)


def test_a_new_blind_index_key_is_applied_to_every_index(tenants, keys):
    t = tenants["academy"]
    with t.context():
        made = people.upsert_student(name="색인", birth_date=date(2013, 1, 2), guardian_phone="010-7777-8888").student
    old_key = keys.PII_BLIND_INDEX_KEY
    keys.PII_BLIND_INDEX_KEY = "a-brand-new-blind-index-key-for-this-test"
    keys.PII_BLIND_INDEX_PREVIOUS_KEY = old_key
    with t.context():
        assert not Guardian.objects.filter(phone_index=people.phone_index("01077778888")).exists()
    out = StringIO()
    call_command("rotate_pii_keys", schema=t.schema, stdout=out)
    with t.context():
        guardian = Guardian.objects.get(phone_index=people.phone_index("01077778888"))
        assert Student.objects.get(pk=made.pk).person_index == people.person_index("색인", date(2013, 1, 2))
        assert guardian.family_id == made.family_id
    assert "indexes recomputed" in out.getvalue() and " 0 indexes" not in out.getvalue()


def test_an_unknown_schema_is_refused(tenants):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no schema"):
        call_command("rotate_pii_keys", schema="nowhere")


def test_encrypt_many_makes_the_fernet_tokens_decrypt_reads(keys):
    pii.reset_keys()
    values = ["01012345678", None, "", "2015-03-02", "x" * 16, "가나다라마바사아자차카타파하" * 3]
    tokens = pii.encrypt_many(values)
    assert tokens[1] is None and tokens[2] is None  # as the encrypted fields store empty values
    assert [pii.decrypt(t) if t else None for t in tokens] == ["01012345678", None, None, *values[3:]]
    assert len({t for t in tokens if t}) == 4  # each token has its own IV
    # Byte for byte what the cryptography package's Fernet makes with the same IV and time.
    fernet = Fernet(keys.PII_ENCRYPTION_KEYS[0])
    ivs = bytes(range(16)) * len(values)
    ours = pii._fernet_tokens(values, now=499162800, ivs=ivs)
    for value, token in zip(values, ours, strict=True):
        if value:
            expected = fernet._encrypt_from_parts(value.encode(), 499162800, bytes(range(16))).decode()
            assert token == pii.PREFIX + expected
