"""Reasons the platform writes are shown in the reader's language; reasons people type stay as typed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from procurement import audit
from tests.factories import opened_tender

pytestmark = pytest.mark.django_db


def _record(reason, **kwargs):
    with transaction.atomic():
        return audit.record(object_type="tender", object_id="t-1", action="close", reason=reason, **kwargs)


def test_a_generated_reason_is_recorded_in_french_whatever_the_language_of_the_request():
    with translation.override("en"):
        entry = _record(audit.message(gettext_noop("Date limite de remise des offres atteinte.")))
    entry.refresh_from_db()
    assert entry.reason == "Date limite de remise des offres atteinte."
    assert entry.details["reason_message"] == [
        {"text": "Date limite de remise des offres atteinte.", "params": {}}
    ]
    assert audit.verify().valid


def test_a_generated_reason_reads_in_the_active_language_with_its_dates_in_that_language():
    at = timezone.make_aware(dt.datetime(2026, 3, 2, 14, 5))
    entry = _record(audit.message(gettext_noop("Remplacée par l'offre déposée le %(at)s."), at=at))
    entry.refresh_from_db()
    with translation.override("fr"):
        french = entry.reason_text
    with translation.override("en"):
        english = entry.reason_text
    assert french.startswith("Remplacée par l'offre déposée le 2 mars 2026")
    assert english.startswith("Replaced by the bid submitted on") and "March 2, 2026" in english
    assert "Remplacée" not in english


def test_several_parts_and_amounts_follow_the_language():
    entry = _record(
        [
            audit.message(
                gettext_noop("Reçue le %(at)s, après la date limite du %(deadline)s."),
                at=dt.date(2026, 3, 2),
                deadline=dt.date(2026, 3, 1),
            ),
            audit.message(
                gettext_noop("%(code)s : %(score)s. %(rationale)s"),
                code="tech",
                score=Decimal("7.25"),
                rationale="Mémoire solide",
            ),
        ]
    )
    assert (
        entry.reason == "Reçue le 02/03/2026, après la date limite du 01/03/2026. tech : 7,25. Mémoire solide"
    )
    with translation.override("en"):
        assert entry.reason_text.startswith("Received on 03/02/2026, after the deadline of 03/01/2026.")
        # the rationale a person typed stays as typed
        assert entry.reason_text.endswith("7.25. Mémoire solide")


def test_a_typed_reason_stays_as_typed_in_every_language():
    entry = _record("Chantier reporté à l'an prochain")
    with translation.override("en"):
        assert entry.reason_text == "Chantier reporté à l'an prochain"
    assert "reason_message" not in entry.details


def test_the_tender_timeline_shows_the_deadline_reason_in_the_language_of_the_page(client):
    ot = opened_tender()
    client.force_login(ot.buyer)
    url = reverse("tenders_console:detail", args=[ot.tender.id])
    assert "Date limite de remise des offres atteinte." in client.get(url).content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(url).content.decode()
    assert "Bid deadline reached." in page and "Date limite de remise des offres atteinte." not in page
