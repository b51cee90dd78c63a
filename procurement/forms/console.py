"""Forms of the buyer console's DPS pages: they parse input for one service call each, nothing more."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import DEPARTEMENTS_HDF, EvidenceKind, Trade
from . import fields


class DPSForm(forms.Form):
    """Parses the DPS fields; ``dps_create`` says what is allowed (its errors come back under the fields)."""

    reference = forms.CharField(label=_("Référence"), max_length=50)
    title = forms.CharField(label=_("Intitulé"), max_length=255)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    valid_until = forms.DateField(label=_("Valide jusqu'au"), widget=forms.DateInput(attrs={"type": "date"}),
                                  input_formats=["%Y-%m-%d", "%d/%m/%Y"])
    cpv_codes = forms.CharField(label=_("Codes CPV"), required=False,
                                help_text=_("Séparés par des virgules, par exemple 45321000, 45421000-4."))
    initial_decision_days = fields.IntegerField(
        label=_("Délai initial d'examen (jours ouvrables)"), required=False,
        help_text=_("Facultatif : délai plus long annoncé dans les documents du SAD, avant la première invitation."),
    )

    def clean_cpv_codes(self):
        raw = self.cleaned_data.get("cpv_codes") or ""
        return [code.strip() for code in raw.replace(";", ",").split(",") if code.strip()]


class CategoryForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=30)
    name = forms.CharField(label=_("Nom"), max_length=255)
    trade = forms.ChoiceField(label=_("Corps d'état"), choices=Trade.choices)
    departements = forms.MultipleChoiceField(
        label=_("Départements des Hauts-de-France"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(code, f"{name} ({code})") for code, name in sorted(DEPARTEMENTS_HDF.items())],
    )
    other_departements = forms.CharField(
        label=_("Autres départements"), required=False, max_length=200,
        help_text=_("Codes séparés par des virgules, par exemple 08, 51."),
    )
    max_contract_value = fields.DecimalField(label=_("Montant maximal d'un marché (€ HT)"), required=False,
                                            min_value=0, max_digits=14, decimal_places=2)
    min_turnover = fields.DecimalField(label=_("Chiffre d'affaires annuel minimal (€)"), required=False,
                                      min_value=0, max_digits=14, decimal_places=2)
    min_turnover_justification = forms.CharField(
        label=_("Justification du chiffre d'affaires minimal"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Obligatoire au-delà de 1,5 fois le montant maximal (article R2142-7)."),
    )
    required_evidence = forms.MultipleChoiceField(
        label=_("Justificatifs exigés"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=EvidenceKind.choices,
    )

    def territories(self) -> list[str]:
        others = (self.cleaned_data.get("other_departements") or "").replace(";", ",").split(",")
        codes = list(self.cleaned_data.get("departements") or []) + [c.strip() for c in others if c.strip()]
        return list(dict.fromkeys(codes))

    service_aliases = {"territories": "departements"}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Motif"), widget=forms.Textarea(attrs={"rows": 2}))
