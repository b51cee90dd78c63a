"""Forms of the buyer console's supplier pages (applications, directory, admissions, renewals): they parse
input for one service call each, nothing more."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from procurement.errors import ValidationFailed
from procurement.forms import fields
from procurement.forms.filters import DepartementField, FilterForm

from ..models import AdmissionStatus, ApplicationStatus


class ExtendForm(forms.Form):
    reason = forms.CharField(label=_("Justification de la prolongation"), widget=forms.Textarea(attrs={"rows": 2}))


class InfoRequestForm(forms.Form):
    message = forms.CharField(label=_("Compléments demandés"), widget=forms.Textarea(attrs={"rows": 3}))


ADMIT, REJECT = "admit", "reject"


class DecisionForm(forms.Form):
    """One admit/reject choice and a reason per category applied for (the service says which rejection lacks
    its reason: ``add_service_errors`` puts it under that category's field)."""

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

class ApplicationFilterForm(FilterForm):
    status = forms.ChoiceField(label=_("État"), required=False,
                               choices=[("", _("Tous"))] + list(ApplicationStatus.choices))
    dps = forms.ChoiceField(label=_("SAD"), required=False)
    overdue = forms.BooleanField(label=_("En retard seulement"), required=False)

    def __init__(self, *args, dps_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dps"].choices = [("", _("Tous"))] + list(dps_choices)


class DirectoryFilterForm(FilterForm):
    q = forms.CharField(label=_("Recherche"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": _("Nom, SIRET ou commune")}))
    category = forms.ChoiceField(label=_("Catégorie"), required=False)
    territory = DepartementField(label=_("Département"), required=False)
    admission_status = forms.ChoiceField(label=_("Admission"), required=False,
                                         choices=[("", _("Toutes"))] + list(AdmissionStatus.choices))
    expiring_within = fields.IntegerField(label=_("Justificatif expirant sous (jours)"), required=False,
                                         min_value=0, max_value=3650)

    def __init__(self, *args, category_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Toutes"))] + list(category_choices)


class AdmissionFilterForm(FilterForm):
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
