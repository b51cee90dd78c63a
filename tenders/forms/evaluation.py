"""Forms of the buyer's evaluation pages. They parse what was typed; the evaluation services check the rules
(reason required except for ``admissible``, a due date in the future, a score between 0 and 10…) and the
views put the services' errors back on these fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import BidStatus

DATE_INPUTS = ["%Y-%m-%d", "%d/%m/%Y"]


class ClassifyForm(forms.Form):
    """One bid's classification. ``decisions`` are the ones the bid's state allows now."""

    decision = forms.ChoiceField(label=_("Décision"), widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Motif"), required=False, max_length=10_000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Obligatoire sauf pour une offre recevable ; il figurera dans la lettre "
                                         "de rejet."))

    def __init__(self, *args, decisions, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(BidStatus.choices)
        self.fields["decision"].choices = [(value, labels[value]) for value in decisions]


class BidRequestForm(forms.Form):
    """A regularisation (to every irregular bid) or a justification request (to one bid)."""

    message = forms.CharField(label=_("Message au soumissionnaire"), required=False, max_length=10_000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    due_at = forms.DateField(label=_("À rendre avant le (inclus)"), required=False, input_formats=DATE_INPUTS,
                             widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class PanelForm(forms.Form):
    evaluators = forms.MultipleChoiceField(label=_("Membres de la commission"), required=False,
                                           widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evaluators"].choices = candidates


class ConsensusForm(forms.Form):
    """The consensus score of one bid on one criterion."""

    criterion = forms.CharField(widget=forms.HiddenInput)
    score = forms.CharField(label=_("Note de consensus (0 à 10)"), required=False, max_length=10,
                            widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5}))
    rationale = forms.CharField(label=_("Justification"), required=False, max_length=10_000,
                                widget=forms.Textarea(attrs={"rows": 2}))

    def clean_score(self):
        # French decimal comma accepted; the service checks the range and the decimals.
        return (self.cleaned_data.get("score") or "").strip().replace(",", ".")
