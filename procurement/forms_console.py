"""Forms of the buyer console: they parse input for one service call each, nothing more."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from suppliers.models import AdmissionStatus, ApplicationStatus, EvidenceKind

from .errors import ValidationFailed
from .models import DEPARTEMENTS_HDF, Trade


def add_service_errors(form: forms.Form, exc: ValidationFailed, *, aliases: dict[str, str] | None = None) -> None:
    """Show a service's field errors on the form; errors of unknown fields go to the form itself."""
    aliases = aliases or {}
    for key, messages in exc.errors.items():
        field = aliases.get(key, key)
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class DPSForm(forms.Form):
    reference = forms.CharField(label=_("Référence"), max_length=50)
    title = forms.CharField(label=_("Intitulé"), max_length=255)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    valid_until = forms.DateField(label=_("Valide jusqu'au"), widget=forms.DateInput(attrs={"type": "date"}),
                                  input_formats=["%Y-%m-%d", "%d/%m/%Y"])
    cpv_codes = forms.CharField(label=_("Codes CPV"), required=False,
                                help_text=_("Séparés par des virgules, par exemple 45321000, 45421000-4."))
    initial_decision_days = forms.IntegerField(
        label=_("Délai initial d'examen (jours ouvrables)"), required=False, min_value=1, max_value=365,
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
    max_contract_value = forms.DecimalField(label=_("Montant maximal d'un marché (€ HT)"), required=False,
                                            min_value=0, max_digits=14, decimal_places=2)
    min_turnover = forms.DecimalField(label=_("Chiffre d'affaires annuel minimal (€)"), required=False,
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


class ExtendForm(forms.Form):
    reason = forms.CharField(label=_("Justification de la prolongation"), widget=forms.Textarea(attrs={"rows": 2}))


class InfoRequestForm(forms.Form):
    message = forms.CharField(label=_("Compléments demandés"), widget=forms.Textarea(attrs={"rows": 3}))


ADMIT, REJECT = "admit", "reject"


class DecisionForm(forms.Form):
    """One admit/reject choice and a reason per category applied for; a rejection must be motivated."""

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            key = str(line.category_id)
            self.fields[f"decision_{key}"] = forms.ChoiceField(
                label=str(line.category), widget=forms.RadioSelect,
                choices=[(ADMIT, _("Admettre")), (REJECT, _("Rejeter"))],
                error_messages={"required": _("Choisissez d'admettre ou de rejeter cette catégorie.")},
            )
            self.fields[f"reason_{key}"] = forms.CharField(
                label=_("Motif"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        cleaned = super().clean()
        for line in self.lines:
            key = str(line.category_id)
            if cleaned.get(f"decision_{key}") == REJECT and not (cleaned.get(f"reason_{key}") or "").strip():
                self.add_error(f"reason_{key}", _("Le rejet pour la catégorie %(code)s doit être motivé.")
                               % {"code": line.category.code})
        return cleaned

    def rows(self):
        """(line, decision field, reason field) for the template."""
        return [(line, self[f"decision_{line.category_id}"], self[f"reason_{line.category_id}"]) for line in self.lines]

    def decisions(self) -> list[dict]:
        return [
            {
                "category": str(line.category_id),
                "admitted": self.cleaned_data[f"decision_{line.category_id}"] == ADMIT,
                "reason": (self.cleaned_data.get(f"reason_{line.category_id}") or "").strip(),
            }
            for line in self.lines
        ]

    def add_service_errors(self, exc: ValidationFailed) -> None:
        """``decisions[i].reason`` → the reason field of the i-th category sent."""
        for key, messages in exc.errors.items():
            field = None
            if key.startswith("decisions[") and "]." in key:
                index, _sep, attr = key[len("decisions["):].partition("].")
                try:
                    line = self.lines[int(index)]
                except (ValueError, IndexError):
                    line = None
                if line is not None:
                    field = f"{'reason' if attr == 'reason' else 'decision'}_{line.category_id}"
            for message in messages:
                self.add_error(field, message)


# --- filters (GET) -----------------------------------------------------------------------------------

class ApplicationFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("État"), required=False,
                               choices=[("", _("Tous"))] + list(ApplicationStatus.choices))
    dps = forms.ChoiceField(label=_("SAD"), required=False)
    overdue = forms.BooleanField(label=_("En retard seulement"), required=False)

    def __init__(self, *args, dps_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dps"].choices = [("", _("Tous"))] + list(dps_choices)


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Recherche"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": _("Nom, SIRET ou commune")}))
    category = forms.ChoiceField(label=_("Catégorie"), required=False)
    territory = forms.CharField(label=_("Département"), required=False, max_length=3,
                                widget=forms.TextInput(attrs={"size": 3, "placeholder": "60"}))
    admission_status = forms.ChoiceField(label=_("Admission"), required=False,
                                         choices=[("", _("Toutes"))] + list(AdmissionStatus.choices))
    expiring_within = forms.IntegerField(label=_("Justificatif expirant sous (jours)"), required=False,
                                         min_value=0, max_value=3650)

    def __init__(self, *args, category_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Toutes"))] + list(category_choices)


class AdmissionFilterForm(forms.Form):
    category = forms.ChoiceField(label=_("Catégorie"), required=False)
    status = forms.ChoiceField(label=_("État"), required=False,
                               choices=[("", _("Tous"))] + list(AdmissionStatus.choices))

    def __init__(self, *args, category_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Toutes"))] + list(category_choices)


class RenewalRequestForm(forms.Form):
    companies = forms.MultipleChoiceField(label=_("Entreprises"), required=False,
                                          widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, company_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["companies"].choices = list(company_choices)
