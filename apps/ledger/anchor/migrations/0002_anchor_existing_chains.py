"""Anchor the chains that existed before the anchor did: each schema's current newest event."""

from django.db import migrations


def anchor_existing(apps, schema_editor):
    from psycopg import sql

    from apps.ledger.anchor.models import sign

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT schemaname FROM pg_tables WHERE tablename = 'ledger_event'")
        for (schema,) in cursor.fetchall():
            cursor.execute(
                sql.SQL("SELECT seq, hash FROM {}.ledger_event ORDER BY seq DESC LIMIT 1").format(
                    sql.Identifier(schema)
                )
            )
            row = cursor.fetchone()
            if row is None:
                continue
            cursor.execute(
                'INSERT INTO "public".ledger_anchor_head (schema_name, seq, hash, signature, updated_at) '
                "VALUES (%s, %s, %s, %s, now()) ON CONFLICT (schema_name) DO NOTHING",
                [schema, row[0], row[1], sign(schema, row[0], row[1])],
            )


class Migration(migrations.Migration):
    dependencies = [("ledger_anchor", "0001_initial")]

    operations = [migrations.RunPython(anchor_existing, migrations.RunPython.noop)]
