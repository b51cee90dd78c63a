"""The tender list's search column (reference, title, residence and commune folded: case, accents,
ligatures; procurement.text), filled for the existing tenders."""

from django.db import migrations

import procurement.text

BATCH = 1000


def fill(apps, schema_editor):
    Tender = apps.get_model("tenders", "Tender")
    field = Tender._meta.get_field("search_text")
    batch = []
    for tender in Tender.objects.only("pk", *field.sources).iterator(chunk_size=BATCH):
        tender.search_text = field.value_for(tender)
        batch.append(tender)
        if len(batch) == BATCH:
            Tender.objects.bulk_update(batch, ["search_text"])
            batch = []
    Tender.objects.bulk_update(batch, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [("tenders", "0003_award")]

    operations = [
        migrations.AddField(
            model_name="tender",
            name="search_text",
            field=procurement.text.SearchField(
                sources=["reference", "title", "operation_name", "operation_commune"]
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
