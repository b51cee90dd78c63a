"""Trigram indexes for the directory's text search (name or commune containing the words), on PostgreSQL.

The search is ``UPPER(name) LIKE UPPER('%…%')`` (Django's ``icontains``); a GIN trigram index on the same
expression serves it. ``pg_trgm`` ships with PostgreSQL's contrib package; where it is missing, or the
migrating role may not create it, the indexes are left out and the search reads the table (correct, slower).
SQLite has neither: nothing to do.
"""

from django.db import DatabaseError, migrations, transaction

INDEXES = {"company_name_trgm_idx": "name", "company_city_trgm_idx": "city"}


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        return
    with connection.cursor() as cursor:
        for name, column in INDEXES.items():
            cursor.execute(f'CREATE INDEX IF NOT EXISTS {name} ON suppliers_company '
                           f'USING gin (UPPER("{column}"::text) gin_trgm_ops)')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("suppliers", "0005_application_list_indexes")]

    operations = [migrations.RunPython(create, drop)]
