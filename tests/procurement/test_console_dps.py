"""Buyer console: DPS creation, categories, publication and termination through the pages."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from procurement.models import AuditEntry, Category, DPSStatus, DynamicPurchasingSystem
from tests.factories import CategoryFactory, DPSFactory, StaffFactory, UserFactory
from tests.pages import messages_of

pytestmark = pytest.mark.django_db


def dps_data(**overrides):
    data = {
        "reference": "SAD-HDF-2027",
        "title": "Rénovation énergétique Hauts-de-France",
        "description": "Isolation, menuiseries, chauffage.",
        "valid_until": (timezone.localdate() + dt.timedelta(days=3 * 365)).isoformat(),
        "cpv_codes": "45321000, 45421000-4",
        "initial_decision_days": "",
    }
    return data | overrides


def category_data(**overrides):
    data = {
        "code": "ITE-59",
        "name": "Isolation thermique par l'extérieur — Nord (59)",
        "trade": "external_wall_insulation",
        "departements": ["59", "62"],
        "other_departements": "08",
        "max_contract_value": "500000",
        "min_turnover": "600000",
        "min_turnover_justification": "",
        "required_evidence": ["kbis", "urssaf_vigilance"],
    }
    return data | overrides


def test_anonymous_and_supplier_cannot_enter(client):
    response = client.get(reverse("console:dps_list"))
    assert response.status_code == 302 and reverse("accounts:login") in response.url
    client.force_login(UserFactory())
    assert client.get(reverse("console:dps_list")).status_code == 403
    response = client.post(reverse("console:dps_create"), dps_data())
    assert response.status_code == 403
    assert not DynamicPurchasingSystem.objects.exists()


def test_create_add_category_and_publish_through_the_pages(client, buyer):
    client.force_login(buyer)
    assert client.get(reverse("console:dps_create")).status_code == 200

    response = client.post(reverse("console:dps_create"), dps_data())
    assert response.status_code == 302
    dps = DynamicPurchasingSystem.objects.get(reference="SAD-HDF-2027")
    assert response.url == reverse("console:dps_detail", args=[dps.id])
    assert dps.cpv_codes == ["45321000", "45421000-4"]
    assert dps.status == DPSStatus.DRAFT

    detail = client.get(response.url)
    body = detail.content.decode()
    assert "SAD-HDF-2027" in body
    assert reverse("console:dps_publish", args=[dps.id]) in body
    assert 'value="kbis"' in body and 'value="59"' in body

    # Publishing without a category: the service says why, nothing changes.
    response = client.post(reverse("console:dps_publish", args=[dps.id]), {"confirmed": "1"})
    assert response.status_code == 302
    assert any("au moins une catégorie" in m for m in messages_of(response))
    dps.refresh_from_db()
    assert dps.status == DPSStatus.DRAFT

    response = client.post(reverse("console:category_add", args=[dps.id]), category_data())
    assert response.status_code == 302
    category = Category.objects.get(dps=dps)
    assert category.territories == ["59", "62", "08"]
    assert category.required_evidence == ["kbis", "urssaf_vigilance"]
    assert str(category.min_turnover) == "600000.00"

    response = client.post(reverse("console:dps_publish", args=[dps.id]), {"confirmed": "1"})
    assert response.status_code == 302
    dps.refresh_from_db()
    assert dps.status == DPSStatus.OPEN
    assert dps.published_at and dps.first_window_ends_at
    body = client.get(reverse("console:dps_detail", args=[dps.id])).content.decode()
    assert "Ouvert" in body
    assert "500\u00a0000 € HT" in body or "500 000 € HT" in body or "500,000 € HT" in body

    response = client.post(reverse("console:dps_publish", args=[dps.id]), {"confirmed": "1"})  # twice: a message with the state
    assert any("État actuel : Ouvert" in m for m in messages_of(response))
    assert AuditEntry.objects.filter(object_type="dps", object_id=str(dps.id), action="publish").count() == 1


def test_create_errors_keep_input(client, buyer):
    client.force_login(buyer)
    response = client.post(reverse("console:dps_create"), dps_data(
        title="", cpv_codes="4532, 45421000", valid_until="2001-01-01", initial_decision_days="5"))
    assert response.status_code == 400
    form = response.context["form"]
    assert "title" in form.errors
    body = response.content.decode()
    assert 'value="SAD-HDF-2027"' in body  # input kept
    assert not DynamicPurchasingSystem.objects.exists()

    response = client.post(reverse("console:dps_create"), dps_data(cpv_codes="4532", valid_until="2001-01-01",
                                                                   initial_decision_days="5"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "cpv_codes" in errors and "valid_until" in errors and "initial_decision_days" in errors

    DPSFactory(actor=buyer, reference="SAD-HDF-2027")
    response = client.post(reverse("console:dps_create"), dps_data())
    assert response.status_code == 409
    assert any("SAD-HDF-2027" in m for m in messages_of(response))
    assert 'value="Rénovation énergétique Hauts-de-France"' in response.content.decode()


def test_category_turnover_above_1_5_needs_justification(client, buyer):
    dps = DPSFactory(actor=buyer)
    client.force_login(buyer)
    url = reverse("console:category_add", args=[dps.id])
    response = client.post(url, category_data(min_turnover="900000"))
    assert response.status_code == 400
    assert "min_turnover" in response.context["category_form"].errors
    assert 'value="ITE-59"' in response.content.decode()

    response = client.post(url, category_data(departements=[], other_departements="99"))
    assert response.status_code == 400
    assert "departements" in response.context["category_form"].errors

    response = client.post(url, category_data(min_turnover="900000",
                                              min_turnover_justification="Opérations en site occupé."))
    assert response.status_code == 302
    assert Category.objects.filter(dps=dps, code="ITE-59").exists()
    response = client.post(url, category_data())
    assert response.status_code == 409
    assert any("ITE-59" in m for m in messages_of(response))
    assert Category.objects.filter(dps=dps).count() == 1


def test_approver_reads_but_cannot_act(client, buyer, approver):
    dps = DPSFactory(actor=buyer)
    CategoryFactory(dps=dps, actor=buyer)
    client.force_login(approver)
    body = client.get(reverse("console:dps_detail", args=[dps.id])).content.decode()
    assert reverse("console:dps_publish", args=[dps.id]) not in body
    response = client.post(reverse("console:dps_publish", args=[dps.id]), {"confirmed": "1"})
    assert response.status_code == 302
    assert any("réservée au rôle" in m for m in messages_of(response))
    dps.refresh_from_db()
    assert dps.status == DPSStatus.DRAFT
    response = client.post(reverse("console:dps_create"), dps_data(reference="X-1"))
    assert response.status_code == 302
    assert not DynamicPurchasingSystem.objects.filter(reference="X-1").exists()


def test_terminate_needs_a_reason(client, buyer):
    dps = DPSFactory(actor=buyer, published=True)
    client.force_login(buyer)
    url = reverse("console:dps_terminate", args=[dps.id])
    response = client.post(url, {"confirmed": "1", "reason": ""})
    assert response.status_code == 400
    assert "reason" in response.context["terminate_form"].errors
    response = client.post(url, {"confirmed": "1", "reason": "Fin du programme de rénovation."})
    assert response.status_code == 302
    dps.refresh_from_db()
    assert dps.status == DPSStatus.TERMINATED
    response = client.post(url, {"confirmed": "1", "reason": "encore"})
    assert response.status_code == 302
    assert any("Résilié" in m for m in messages_of(response))


def test_dps_list(client, buyer):
    dps = DPSFactory(actor=buyer, published=True)
    client.force_login(StaffFactory(roles=["evaluator"]))
    response = client.get(reverse("console:dps_list"))
    assert response.status_code == 200
    assert dps.reference in response.content.decode()
    assert reverse("console:dps_create") not in response.content.decode()
