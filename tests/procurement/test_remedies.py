"""The remedies a decision states depend on the buyer's legal nature: an ESH (private law, the default) sends
its bidders to the judicial courts, a public body (an OPH) to the administrative ones. One module says it for
every page, mail and document."""

import pytest
from django.urls import reverse
from django.utils import translation

from procurement import remedies

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("moment", remedies.MOMENTS)
def test_a_private_law_buyer_names_the_judicial_courts_at_every_moment(settings, moment):
    settings.BUYER_LEGAL_REGIME = remedies.PRIVATE
    with translation.override("fr"):
        text = remedies.remedies(moment)
    assert "tribunal judiciaire" in text and "administratif" not in text and "L551" not in text


@pytest.mark.parametrize("moment", remedies.MOMENTS)
def test_a_public_body_names_the_administrative_courts_at_every_moment(settings, moment):
    settings.BUYER_LEGAL_REGIME = remedies.PUBLIC
    with translation.override("fr"):
        text = remedies.remedies(moment)
    assert "tribunal administratif" in text and "judiciaire" not in text and "2009-515" not in text


def test_before_signature_the_precontractual_referral_after_it_the_contractual_one(settings):
    settings.BUYER_LEGAL_REGIME = remedies.PRIVATE
    with translation.override("fr"):
        rejection, notice = remedies.remedies(remedies.REJECTION), remedies.remedies(remedies.AWARD_NOTICE)
    assert "référé précontractuel" in rejection and "jusqu'à la signature du marché" in rejection
    assert "31 jours" in rejection and "six mois" in rejection  # the contractual referral's time limits
    assert "référé contractuel" in notice and "31 jours" in notice and "précontractuel" not in notice


def test_the_remedies_are_read_in_english_on_english_pages(settings):
    settings.BUYER_LEGAL_REGIME = remedies.PRIVATE
    with translation.override("en"):
        text = remedies.remedies(remedies.ADMISSION)
    assert "judicial court" in text and "Voies" not in text


def test_the_terms_of_use_follow_the_setting(client, settings):
    body = client.get(reverse("legal:terms")).content.decode()
    assert "tribunal judiciaire" in body and "tribunal administratif" not in body
    settings.BUYER_LEGAL_REGIME = remedies.PUBLIC
    body = client.get(reverse("legal:terms")).content.decode()
    assert "tribunal administratif" in body and "tribunal judiciaire" not in body

