"""Forms of the award pages (console and portal). They parse what was typed; the award and contract services
check the rules (a reason required, only the first-ranked admissible bid, a due date ahead, within 15 days…)
and the views put the services' errors back on these fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .evaluation import DATE_INPUTS


class ProposeForm(forms.Form):
    """The proposal: ``choices`` hold the one bid the frozen (or live) ranking allows now. Any posted value is
    passed on: the service says which bid may be proposed."""

    bid = forms.CharField(label=_("Offre proposée"), required=False, widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Motif de la proposition"), required=False, max_length=10_000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Il figure au dossier et dans le rapport d'analyse des offres."))

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_choices(choices)
        if len(choices) == 1:
            self.fields["bid"].initial = choices[0][0]


    def set_choices(self, choices) -> None:
        self.fields["bid"].widget.choices = list(choices)


class EvidenceRequestForm(forms.Form):
    due_at = forms.DateField(label=_("Justificatifs à déposer avant le (inclus)"), required=False,
                             input_formats=DATE_INPUTS,
                             widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class WithdrawProposalForm(forms.Form):
    reason = forms.CharField(label=_("Motif du retrait"), required=False, max_length=10_000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    eliminate = forms.BooleanField(
        label=_("Écarter l'offre du candidat pressenti (R2144-7)"), required=False,
        help_text=_("À cocher quand le candidat n'a pas produit ses justificatifs dans le délai : son offre est "
                    "éliminée et l'offre classée immédiatement après peut être proposée. Le classement figé n'est "
                    "pas recalculé. Sans cette case, la proposition est seulement retirée et l'offre reste "
                    "recevable."))


class TextForm(forms.Form):
    """A debriefing request (the bidder) or its answer (the buyer)."""

    text = forms.CharField(label=_("Votre demande"), required=False, max_length=10_000,
                           widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["text"].label = label
