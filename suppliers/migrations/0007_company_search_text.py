"""The directory's search column (the name and commune folded: case, accents, ligatures; procurement.text),
filled for the existing companies, and on PostgreSQL the indexes of the directory's search and French order.

PostgreSQL: a trigram index on the search column replaces those of 0006 on ``UPPER(name)`` and
``UPPER(city)`` (the search no longer reads those columns), and an index on the name in the French
collation (ICU ``fr-x-icu``) serves the directory's default order. Without ``pg_trgm`` the search reads
the table (correct, slower). SQLite: nothing to index.
"""

from django.db import DatabaseError, migrations, transaction

import procurement.text

BATCH = 1000


def fill(apps, schema_editor):
    Company = apps.get_model("suppliers", "Company")
    field = Company._meta.get_field("search_text")
    batch = []
    for company in Company.objects.only("pk", "name", "city").iterator(chunk_size=BATCH):
        company.search_text = field.value_for(company)
        batch.append(company)
        if len(batch) == BATCH:
            Company.objects.bulk_update(batch, ["search_text"])
            batch = []
    Company.objects.bulk_update(batch, ["search_text"])


def index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS company_name_fr_idx ON suppliers_company "
            '(name COLLATE "fr-x-icu", id)'
        )
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        trigrams = cursor.fetchone() is not None
    if not trigrams:
        try:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            trigrams = True
        except DatabaseError:
            pass
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS company_name_trgm_idx")
        cursor.execute("DROP INDEX IF EXISTS company_city_trgm_idx")
        if trigrams:
            cursor.execute(
                "CREATE INDEX IF NOT EXISTS company_search_trgm_idx ON suppliers_company "
                "USING gin (search_text gin_trgm_ops)"
            )


def unindex(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS company_search_trgm_idx")
        cursor.execute("DROP INDEX IF EXISTS company_name_fr_idx")
        for name, column in (("company_name_trgm_idx", "name"), ("company_city_trgm_idx", "city")):
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            if cursor.fetchone() is not None:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON suppliers_company "
                    f'USING gin (UPPER("{column}"::text) gin_trgm_ops)'
                )


class Migration(migrations.Migration):
    dependencies = [("suppliers", "0006_company_search_trigram")]

    operations = [
        migrations.AddField(
            model_name="company",
            name="search_text",
            field=procurement.text.SearchField(sources=["name", "city"]),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(index, unindex),
    ]
