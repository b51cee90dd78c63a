"""A sample letter (about three pages) to measure and test the document pipeline without any tender."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

SAMPLE_TEMPLATE = "documents/sample_letter.html"


def sample_letter_data(pages: int = 3) -> dict:
    paragraphs = [
        "Nous avons l'honneur de vous informer de la suite donnée à la consultation citée en objet. Le présent "
        "courrier récapitule les éléments de la procédure, les motifs de la décision et les voies de recours "
        "ouvertes (article R2181-1 du code de la commande publique). " * 2
    ] * (4 * pages)
    lines = [{"ref": f"{i // 10 + 1}.{i % 10 + 1}", "label": f"Poste de travaux n° {i + 1} — fourniture et pose",
              "amount": str(Decimal("1250.50") * (i + 1))} for i in range(10 * pages)]
    return {
        "kind": "sample",
        "recipient": {"company": "Entreprise Exemple SARL", "address": "3 rue de la Gare\n60000 Beauvais"},
        "date": timezone.localdate().isoformat(),
        "subject": "Marché spécifique SAD-2026-MS001 — notification",
        "amount": "125000.00",
        "paragraphs": paragraphs,
        "lines": lines,
    }
