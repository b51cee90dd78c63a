"""Company identifiers, checked with python-stdnum (never by hand)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum import luhn
from stdnum.eu import vat as stdnum_eu_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.fr import siret as stdnum_siret
from stdnum.fr import tva as stdnum_tva

_REASONS = {
    InvalidChecksum: gettext_lazy("la clé de contrôle est fausse"),
    InvalidLength: gettext_lazy("la longueur est incorrecte"),
    InvalidFormat: gettext_lazy("le format est incorrect"),
    InvalidComponent: gettext_lazy("une partie du numéro est incorrecte"),
}


def _reason(exc: ValidationError) -> str:
    for cls, text in _REASONS.items():
        if isinstance(exc, cls):
            return str(text)
    return _("il est invalide")


def clean_siret(value: str) -> str:
    """Return the 14-digit SIRET or raise ValueError with a French message."""
    try:
        return stdnum_siret.validate(value)
    except ValidationError as exc:
        raise ValueError(_("Ce SIRET n'est pas valide : %(reason)s (14 chiffres attendus).")
                         % {"reason": _reason(exc)}) from exc


def clean_vat(value: str, *, country: str = "FR", siren: str | None = None) -> str:
    """Return the compact VAT number; for France check that it belongs to the SIREN."""
    compact = value.replace(" ", "").replace(".", "").upper()
    try:
        if country == "FR" or compact.startswith("FR"):
            number = stdnum_tva.validate(compact[2:] if compact.startswith("FR") else compact)
            compact = "FR" + number
            if siren and number[2:] != siren:
                raise ValueError(_("Ce numéro de TVA ne correspond pas au SIREN de l'entreprise."))
            return compact
        if not compact[:2].isalpha():
            compact = country + compact
        return stdnum_eu_vat.validate(compact)
    except ValidationError as exc:
        raise ValueError(_("Ce numéro de TVA n'est pas valide : %(reason)s.") % {"reason": _reason(exc)}) from exc


def make_siret(siren_digits: str, establishment: int = 1) -> str:
    """A valid SIRET from the first 8 digits of a SIREN and an establishment number (NIC).

    For demo and test data: both check digits come from python-stdnum's Luhn implementation.
    """
    siren = siren_digits + luhn.calc_check_digit(siren_digits)
    thirteen = siren + f"{establishment % 10000:04d}"
    return stdnum_siret.validate(thirteen + luhn.calc_check_digit(thirteen))


def vat_for_siren(siren: str) -> str:
    """The French VAT number of a SIREN: FR + key + SIREN, key = (12 + 3 × (SIREN mod 97)) mod 97."""
    number = f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
    stdnum_tva.validate(number)
    return number
