from io import StringIO

import pytest
from django.core.management import call_command
from stdnum.fr import siret

from procurement import audit
from procurement.models import DPSStatus, DynamicPurchasingSystem
from suppliers.models import (
    Admission,
    AdmissionStatus,
    Application,
    ApplicationStatus,
    Company,
    EvidenceDocument,
)


@pytest.mark.django_db(transaction=True)
def test_it_loads_a_programme_in_every_state_and_prints_the_accounts():
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)

    dps = DynamicPurchasingSystem.objects.get()
    assert dps.status == DPSStatus.OPEN and dps.first_window_over()
    assert {c.trade for c in dps.categories.all()} >= {
        "external_wall_insulation", "windows", "heating", "ventilation", "roof_insulation", "electrical"}
    assert {t for c in dps.categories.all() for t in c.territories} == {"02", "59", "60", "62", "80"}
    companies = Company.objects.all()
    assert companies.count() == 40
    assert all(siret.is_valid(c.siret) for c in companies)
    assert EvidenceDocument.objects.count() >= 80
    states = set(Application.objects.values_list("status", flat=True))
    assert states == set(ApplicationStatus.values)
    assert set(Admission.objects.values_list("status", flat=True)) == set(AdmissionStatus.values)
    assert audit.verify().valid
    printed = out.getvalue()
    assert "acheteur@sad-renovation.fr" in printed and "fournisseur@demo.fr" in printed

    again = StringIO()
    call_command("seed_demo", "--if-empty", stdout=again)
    assert Company.objects.count() == 40 and "--if-empty" in again.getvalue()
