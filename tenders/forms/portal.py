"""Forms of the supplier's tender pages. They only shape the input: the rules are in ``tenders.services``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from procurement.forms.fields import NumberInput

from ..models import BidDocumentKind
from ..services import MAX_TEXT


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=_("Votre question"), max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("La réponse sera publiée pour toutes les entreprises invitées, sans le nom de votre entreprise."),
    )


class BidForm(forms.Form):
    """The figures of a draft bid. Amounts stay text: the service parses them (``procurement.numbers``);
    saved figures, given as numbers in ``initial``, are shown the page's way (``45,50``)."""

    total_price = forms.CharField(
        label=_("Prix total de l'offre (€ HT)"), required=False, max_length=30,
        widget=NumberInput(attrs={"data-total": ""}),
    )
    duration_weeks = forms.CharField(
        label=_("Durée des travaux proposée (semaines)"), required=False, max_length=10,
        widget=NumberInput(places=0),
    )
    notes = forms.CharField(label=_("Remarques"), required=False, max_length=MAX_TEXT,
                            widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, price_lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.price_lines = list(price_lines)
        for index, line in enumerate(self.price_lines):
            self.fields[self.line_field(index)] = forms.CharField(
                label=_("Prix unitaire de la ligne %(ref)s") % {"ref": line.ref}, required=False, max_length=30,
                widget=NumberInput(attrs={"data-unit-price": "", "class": "price-input"}),
            )

    @staticmethod
    def line_field(index: int) -> str:
        return f"line_{index}"

    def line_fields(self) -> list:
        return [self[self.line_field(index)] for index in range(len(self.price_lines))]

    def service_data(self) -> dict:
        """What the service takes; a field absent from the request leaves the bid's value unchanged."""
        data = self.cleaned_data
        result = {key: data[key].strip() for key in ("total_price", "duration_weeks") if key in self.data}
        if "notes" in self.data:
            result["notes"] = data["notes"]
        if any(self.line_field(index) in self.data for index in range(len(self.price_lines))):
            result["lines"] = [{"ref": line.ref, "unit_price": data[self.line_field(index)].strip()}
                               for index, line in enumerate(self.price_lines)]
        return result

    def aliases(self) -> dict[str, str]:
        """Service error keys → form fields (``lines[i].unit_price`` and ``lines.<ref>`` → the line's input)."""
        aliases = {}
        for index, line in enumerate(self.price_lines):
            aliases[f"lines[{index}].unit_price"] = self.line_field(index)
            aliases[f"lines.{line.ref}"] = self.line_field(index)
        return aliases


class PriceScheduleUploadForm(forms.Form):
    """The DPGF filled in a spreadsheet (its prices are matched by reference; ``tenders.dpgf``)."""

    file = forms.FileField(label=_("DPGF rempli (fichier XLSX)"), required=False,
                           help_text=_("Le bordereau téléchargé ci-dessus, prix unitaires remplis. Les prix du "
                                       "fichier remplacent ceux saisis ; les autres champs sont gardés."),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,application/vnd.openxmlformats-"
                                                                            "officedocument.spreadsheetml.sheet"}))


class BidDocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type de document"), choices=BidDocumentKind.choices)
    file = forms.FileField(label=_("Fichier (PDF, JPEG ou PNG)"))


class BidWithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Motif (facultatif)"), required=False, max_length=MAX_TEXT,
                             widget=forms.Textarea(attrs={"rows": 2}))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (the service checks each like an evidence upload)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class BidRespondForm(forms.Form):
    text = forms.CharField(label=_("Votre réponse"), max_length=MAX_TEXT, required=False,
                           widget=forms.Textarea(attrs={"rows": 6}))
    file = MultipleFileField(
        label=_("Pièces jointes"), required=False,
        help_text=_("PDF, JPEG ou PNG. Vos prix ne peuvent pas être modifiés : apportez des explications et des "
                    "pièces."),
    )
