"""Forms of the evaluator's pages. They only shape the input: the rules are in ``tenders.services.evaluation``
(a statement required with a conflict, scores 0–10 by half points, every score before submitting)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from procurement.locale import elide

from ..services import MAX_TEXT


class ImpartialityForm(forms.Form):
    no_conflict = forms.TypedChoiceField(
        label=_("Avez-vous un lien avec l'une des entreprises qui ont remis une offre ?"),
        choices=[("yes", _("Non : je déclare n'avoir aucun conflit d'intérêts avec ces entreprises")),
                 ("no", _("Oui : je déclare un conflit d'intérêts et je quitte la commission"))],
        coerce=lambda value: value == "yes", widget=forms.RadioSelect,
    )
    statement = forms.CharField(
        label=_("Déclaration"), required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire en cas de conflit : décrivez le lien (parenté, intérêt, emploi antérieur…)."),
    )


class ScoreRowForm(forms.Form):
    """One bid's row of the grid of one criterion: its score and a comment."""

    score = forms.CharField(required=False, max_length=10, widget=forms.NumberInput(
        attrs={"min": "0", "max": "10", "step": "0.5", "inputmode": "decimal", "class": "score-input"}))
    comment = forms.CharField(required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, bid, **kwargs):
        super().__init__(*args, **kwargs)
        self.bid = bid
        name = bid.company.name
        self.fields["score"].label = elide(_("Note de %(company)s (sur 10)") % {"company": name}, name)
        self.fields["comment"].label = elide(_("Commentaire sur l'offre de %(company)s") % {"company": name}, name)

    def clean_score(self):
        # A comma is the French decimal mark; the service checks the value itself.
        return (self.cleaned_data.get("score") or "").strip().replace(",", ".")

    def filled(self) -> bool:
        return bool(self.cleaned_data.get("score") or (self.cleaned_data.get("comment") or "").strip())
