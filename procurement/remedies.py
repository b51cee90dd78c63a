"""Voies et délais de recours: what a decision's recipient can do, and before which judge (one place).

Which judge depends on the buyer's legal nature (setting ``BUYER_LEGAL_REGIME``):

- ``private`` (the default): an entreprise sociale pour l'habitat is a société anonyme d'HLM, a pouvoir
  adjudicateur of private law whose contracts are private-law contracts. Their award is contested before the
  judicial courts: the référé précontractuel until the contract is signed and the référé contractuel after
  (ordonnance n° 2009-515 du 7 mai 2009, articles 2 to 20; code de procédure civile, articles 1441-1 and
  following), and an action for damages before the tribunal judiciaire.
- ``public``: a public body (an office public de l'habitat) goes before the administrative courts: référé
  précontractuel (L551-1 CJA), référé contractuel (L551-13 CJA) and the recours en contestation de validité
  of the contract, within two months of the award notice.

Every page, mail and generated document that states the remedies takes its text here (the ``remedies``
template tag); documents are rendered in French, pages and mails in the reader's language.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

PRIVATE, PUBLIC = "private", "public"
REGIMES = (PRIVATE, PUBLIC)

# When the remedies are stated.
ADMISSION = "admission"  # a category refused to a company applying to the DPS
REJECTION = "rejection"  # a bid not retained (or set aside), before the contract is signed
CANCELLATION = "cancellation"  # a procedure ended without award
AWARD_NOTICE = "award_notice"  # the contract is signed and its award published
TERMS = "terms"  # the terms of use: which courts hear disputes about the procedures
MOMENTS = (ADMISSION, REJECTION, CANCELLATION, AWARD_NOTICE, TERMS)


def regime() -> str:
    return settings.BUYER_LEGAL_REGIME


def remedies(moment: str) -> str:
    """The sentence stating the remedies at ``moment``, in the active language."""
    texts = _private() if regime() == PRIVATE else _public()
    return texts[moment]


def _private() -> dict[str, str]:
    return {
        ADMISSION: _(
            "Voies et délais de recours : cette décision peut être contestée devant le président du tribunal "
            "judiciaire par un référé précontractuel tant que les marchés du système d'acquisition dynamique ne "
            "sont pas signés (article 2 de l'ordonnance n° 2009-515 du 7 mai 2009), ou donner lieu à une action "
            "en responsabilité devant le tribunal judiciaire territorialement compétent."
        ),
        REJECTION: _(
            "Voies et délais de recours : référé précontractuel devant le président du tribunal judiciaire "
            "jusqu'à la signature du marché (article 2 de l'ordonnance n° 2009-515 du 7 mai 2009) ; après la "
            "signature, référé contractuel devant le même juge dans un délai de 31 jours à compter de la "
            "publication de l'avis d'attribution, ou à défaut de six mois à compter du lendemain de la "
            "conclusion du marché (article 11 de la même ordonnance) ; action en responsabilité devant le "
            "tribunal judiciaire territorialement compétent."
        ),
        CANCELLATION: _(
            "Voies et délais de recours : cette décision peut donner lieu à une action en responsabilité devant "
            "le tribunal judiciaire territorialement compétent, dans un délai de cinq ans (article 2224 du code "
            "civil)."
        ),
        AWARD_NOTICE: _(
            "Voies de recours : référé contractuel devant le président du tribunal judiciaire dans un délai de "
            "31 jours à compter de la publication du présent avis (article 11 de l'ordonnance n° 2009-515 du "
            "7 mai 2009)."
        ),
        TERMS: _(
            "Ces conditions relèvent du droit français. L'acheteur étant une personne morale de droit privé, "
            "les litiges relatifs aux procédures relèvent du tribunal judiciaire compétent."
        ),
    }


def _public() -> dict[str, str]:
    return {
        ADMISSION: _(
            "Voies et délais de recours : cette décision peut être contestée devant le tribunal administratif "
            "territorialement compétent, par un référé précontractuel tant que le marché n'est pas signé "
            "(article L551-1 du code de justice administrative), ou par un recours en contestation de la "
            "validité du contrat dans un délai de deux mois à compter de la publication de l'avis d'attribution."
        ),
        REJECTION: _(
            "Voies et délais de recours : référé précontractuel devant le tribunal administratif avant la "
            "signature du marché (article L551-1 du code de justice administrative) ; recours en contestation de "
            "la validité du contrat dans un délai de deux mois à compter de la publication de l'avis "
            "d'attribution."
        ),
        CANCELLATION: _(
            "Voies et délais de recours : cette décision peut être contestée devant le tribunal administratif "
            "territorialement compétent dans un délai de deux mois à compter de sa notification."
        ),
        AWARD_NOTICE: _(
            "Voies de recours : référé contractuel devant le tribunal administratif dans un délai de 31 jours "
            "(article L551-13 du code de justice administrative) ; recours en contestation de la validité du "
            "contrat devant le tribunal administratif dans un délai de deux mois à compter de la publication du "
            "présent avis."
        ),
        TERMS: _(
            "Ces conditions relèvent du droit français. Les litiges relatifs aux procédures relèvent du tribunal "
            "administratif compétent."
        ),
    }
