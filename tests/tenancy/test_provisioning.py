import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection

from apps.tenancy import services
from apps.tenancy.models import Domain, Tenant


def schema_shape(schema: str) -> dict:
    """Everything that makes two schemas the same: tables, columns, constraints, indexes,
    sequences, triggers, functions and the applied migrations."""
    queries = {
        "tables": "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = %s",
        "columns": """SELECT table_name, column_name, data_type, is_nullable, column_default
                      FROM information_schema.columns WHERE table_schema = %s""",
        "constraints": """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
                          FROM pg_constraint WHERE connamespace = %s::regnamespace""",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %s",
        "sequences": "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = %s",
        "triggers": """SELECT event_object_table, trigger_name, event_manipulation, action_statement
                       FROM information_schema.triggers WHERE trigger_schema = %s""",
        "functions": "SELECT proname FROM pg_proc WHERE pronamespace = %s::regnamespace",
    }
    shape = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql, [schema])
            rows = cursor.fetchall()
            shape[name] = sorted(
                tuple(str(v).replace(f'"{schema}".', "").replace(f"{schema}.", "") for v in row) for row in rows
            )
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')
        shape["migrations"] = sorted(cursor.fetchall())
    return shape


def test_clone_yields_the_same_schema_as_migrate(live_tenant):
    cloned = live_tenant("academy")
    migrated = live_tenant("academy", method=Tenant.Method.MIGRATE)
    assert cloned.tenant.provisioning_method == "clone"
    assert migrated.tenant.provisioning_method == "migrate"
    cloned_shape, migrated_shape = schema_shape(cloned.schema), schema_shape(migrated.schema)
    assert cloned_shape["tables"], "the schema has tables"
    for part in cloned_shape:
        assert cloned_shape[part] == migrated_shape[part], part


@pytest.mark.parametrize("tenant_type", ["zone", "store", "club"])
def test_every_type_clones_from_its_own_template(live_tenant, tenant_type):
    t = live_tenant(tenant_type)
    assert t.tenant.status == Tenant.Status.ACTIVE
    assert services.applied_migrations(t.schema) == services.migrations_on_disk()


def test_templates_are_current_after_migrate(live_db):
    call_command("migrate_schemas", verbosity=0)
    for tenant_type in services.tenant_types():
        template = Tenant.objects.get(schema_name=f"template_{tenant_type}")
        assert template.is_template and template.type == tenant_type
        assert template.domains.count() == 0
        assert services.applied_migrations(template.schema_name) == services.migrations_on_disk()


@pytest.mark.django_db
def test_bad_input_names_every_field_and_writes_nothing(tenants):
    before = (Tenant.objects.count(), Domain.objects.count())
    with pytest.raises(ValidationError) as info:
        services.provision_tenant(name=" ", tenant_type="bank", domain="not a host", schema_name="Public")
    assert set(info.value.message_dict) == {"name", "type", "domain", "schema_name"}
    with pytest.raises(ValidationError) as info:
        services.provision_tenant(name="Dup", tenant_type="academy", domain="a.academy.test", schema_name="t_academy_a")
    assert set(info.value.message_dict) == {"domain", "schema_name"}
    with pytest.raises(ValidationError) as info:
        services.provision_tenant(name="x", tenant_type="academy", domain="x.academy.test", plan="nope")
    assert "plan" in info.value.message_dict
    assert (Tenant.objects.count(), Domain.objects.count()) == before


@pytest.mark.django_db
def test_create_tenant_command_reports_bad_fields(tenants):
    with pytest.raises(CommandError, match="domain"):
        call_command("create_tenant", "--type", "academy", "--name", "X", "--domain", "a.academy.test")


def test_create_tenant_command_clones_and_prints_the_time(live_db):
    out = io.StringIO()
    call_command("create_tenant", "--type", "club", "--name", "홀덤 클럽", "--domain", "cmd-club.test", stdout=out)
    tenant = Tenant.objects.get(schema_name="cmd_club")
    try:
        assert tenant.status == Tenant.Status.ACTIVE
        assert tenant.provisioning_method == "clone"
        assert "cmd_club" in out.getvalue() and "clone" in out.getvalue()
        assert tenant.get_primary_domain().domain == "cmd-club.test"
    finally:
        services.drop_tenant(tenant)


@pytest.mark.django_db
def test_build_is_idempotent(tenants):
    t = tenants["zone"]
    again = services.build_schema(t.tenant)
    assert again.status == Tenant.Status.ACTIVE
    assert again.provisioned_at == t.tenant.provisioned_at
