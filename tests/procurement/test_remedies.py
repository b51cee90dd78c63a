"""The remedies a decision states depend on the buyer's legal nature: an ESH (private law, the default) sends
its bidders to the judicial courts, a public body (an OPH) to the administrative ones. One module says it for
every page, mail and document."""

import pytest
from django.urls import reverse
from django.utils import translation

from procurement import remedies

pytestmark = pytest.mark.django_db


COURTS = {
    # regime: (what every moment names, what none names)
    remedies.PRIVATE: ("tribunal judiciaire", ("administratif", "L551")),
    remedies.PUBLIC: ("tribunal administratif", ("judiciaire", "2009-515")),
}


@pytest.mark.parametrize("moment", remedies.MOMENTS)
@pytest.mark.parametrize("regime", remedies.REGIMES)
def test_each_regime_names_its_own_courts_at_every_moment(settings, regime, moment):
    settings.BUYER_LEGAL_REGIME = regime
    with translation.override("fr"):
        text = remedies.remedies(moment)
    named, never = COURTS[regime]
    assert named in text and not [word for word in never if word in text]


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

