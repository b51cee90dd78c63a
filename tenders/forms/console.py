"""Forms of the buyer's tender console. They only parse what was typed; the services validate the rules."""

from __future__ import annotations

import contextlib

from django import forms
from django.utils.translation import gettext_lazy as _

from procurement import numbers
from procurement.errors import ValidationFailed
from procurement.forms.fields import DayField, DecimalField, IntegerField
from procurement.forms.filters import FilterForm
from procurement.models import Category, DPSStatus

from ..models import CriterionKind, EnergyLabel, PriceMethod, TenderDocumentKind, TenderStatus

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
DATETIME_INPUTS = [DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M"]


def _datetime_field(label, **kwargs):
    return forms.DateTimeField(
        label=label, input_formats=DATETIME_INPUTS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL), **kwargs)


def category_choices(dps=None) -> list[tuple[str, str]]:
    """Categories a tender can be run in: those of open DPS (or of one DPS, to edit a draft)."""
    qs = Category.objects.select_related("dps").order_by("dps__reference", "code")
    qs = qs.filter(dps=dps) if dps is not None else qs.filter(dps__status=DPSStatus.OPEN)
    return [(str(c.id), f"{c.dps.reference} · {c.code} — {c.name}") for c in qs]


class TenderFilterForm(FilterForm):
    state = forms.ChoiceField(label=_("État"), required=False, choices=[("", _("Tous"))] + TenderStatus.choices)
    category = forms.ChoiceField(label=_("Catégorie"), required=False)
    dps = forms.ChoiceField(label=_("SAD"), required=False)
    deadline_from = DayField(label=_("Date limite à partir du"), required=False)
    deadline_to = DayField(label=_("Date limite jusqu'au"), required=False)
    q = forms.CharField(label=_("Recherche"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": _("référence, intitulé, résidence, commune")}))

    def __init__(self, *args, categories, systems, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Toutes"))] + categories
        self.fields["dps"].choices = [("", _("Tous"))] + systems

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("deadline_from"), cleaned.get("deadline_to")
        if start and end and start > end:
            self.add_error("deadline_to", _("La date de fin précède la date de début : aucune date ne serait retenue."))
        return cleaned


CRITERION_FIELDS = ("code", "name", "kind", "weight")
LINE_FIELDS = ("ref", "label", "unit", "quantity")


def _rows(data, prefix: str, fields: tuple[str, ...]) -> list[dict]:
    """The rows of an editable table posted as parallel lists (``criteria-code``…); blank rows are dropped."""
    columns = [data.getlist(f"{prefix}-{name}") for name in fields]
    length = max((len(c) for c in columns), default=0)
    rows = []
    for index in range(length):
        row = {name: (column[index] if index < len(column) else "").strip() for name, column in zip(fields, columns, strict=False)}
        if any(value for key, value in row.items() if key != "kind"):
            rows.append({"values": row, "errors": {}})
    return rows


class TenderForm(forms.Form):
    """The wizard: one page, the criteria and price schedule as editable tables (parallel lists in the POST)."""

    category = forms.ChoiceField(label=_("SAD et catégorie"),
                                 help_text=_("Les entreprises admises (non suspendues) de cette catégorie seront "
                                             "invitées à la publication."))
    title = forms.CharField(label=_("Intitulé"), max_length=255)
    description = forms.CharField(label=_("Description des travaux"), widget=forms.Textarea(attrs={"rows": 5}))
    operation_name = forms.CharField(label=_("Résidence"), max_length=255)
    operation_address = forms.CharField(label=_("Adresse"), max_length=255)
    operation_commune = forms.CharField(label=_("Commune"), max_length=100)
    operation_insee_code = forms.CharField(label=_("Code INSEE"), max_length=5,
                                           widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 6}))
    dwellings = IntegerField(label=_("Nombre de logements"), min_value=1, max_value=100_000)
    # No preselected letter: a wrong default would go unnoticed on a legal document.
    energy_label_before = forms.ChoiceField(label=_("Étiquette énergie actuelle"),
                                            choices=[("", "—"), *EnergyLabel.choices])
    energy_label_target = forms.ChoiceField(label=_("Étiquette énergie visée"),
                                            choices=[("", "—"), *EnergyLabel.choices])
    estimated_value = DecimalField(label=_("Montant estimé (€ HT)"), min_value=0, max_digits=14, decimal_places=2)
    budget_ceiling = DecimalField(label=_("Budget maximal (€ HT)"), required=False, min_value=0, max_digits=14,
                                  decimal_places=2)
    works_duration_weeks = IntegerField(label=_("Durée des travaux (semaines)"), min_value=1, max_value=520)
    questions_deadline = _datetime_field(_("Date limite des questions"),
                                         help_text=_("Heure de Paris."))
    bid_deadline = _datetime_field(_("Date limite de remise des offres"),
                                   help_text=_("Heure de Paris. Au moins 10 jours après la publication, sauf accord "
                                               "de tous les candidats invités (R2162-50)."))
    price_method = forms.ChoiceField(label=_("Méthode de notation du prix"), choices=PriceMethod.choices,
                                     initial=PriceMethod.PROPORTIONAL)
    standstill = forms.BooleanField(label=_("Délai de suspension avant la signature"), required=False, initial=True)
    deadline_agreement = forms.CharField(
        label=_("Accord sur un délai réduit"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Seulement si la date limite est à moins de 10 jours : référence de l'accord de tous les "
                    "candidats invités."))

    # Service error keys → form fields.
    service_aliases = {
        "dps": "category",
        "operation.name": "operation_name",
        "operation.address": "operation_address",
        "operation.commune": "operation_commune",
        "operation.insee_code": "operation_insee_code",
        "operation.dwellings": "dwellings",
        "operation.energy_label_before": "energy_label_before",
        "operation.energy_label_target": "energy_label_target",
    }

    def __init__(self, data=None, *, categories, initial_rows=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["category"].choices = [("", "—")] + categories
        self.table_errors: dict[str, list[str]] = {"criteria": [], "price_schedule": []}
        if data is not None:
            self.criteria_rows = _rows(data, "criteria", CRITERION_FIELDS)
            self.line_rows = _rows(data, "lines", LINE_FIELDS)
        else:
            initial_rows = initial_rows or {}
            self.criteria_rows = [{"values": {k: str(v) for k, v in row.items()}, "errors": {}}
                                  for row in initial_rows.get("criteria", [])]
            self.line_rows = [{"values": {k: _plain(v) if k == "quantity" else str(v) for k, v in row.items()},
                               "errors": {}}
                              for row in initial_rows.get("price_schedule", [])]

    @property
    def criterion_kinds(self):
        return CriterionKind.choices

    @property
    def weight_total(self) -> int:
        total = 0
        for row in self.criteria_rows:
            with contextlib.suppress(ValueError):
                total += int(row["values"].get("weight") or 0)
        return total

    def selected_category(self) -> Category | None:
        value = self.cleaned_data.get("category") if hasattr(self, "cleaned_data") else None
        if not value:
            return None
        return Category.objects.select_related("dps").filter(pk=value).first()

    def to_data(self) -> dict:
        """The ``data`` dict of ``services.tender_create`` / ``tender_update``."""
        d = self.cleaned_data

        def text(value):
            return "" if value is None else str(value)

        return {
            "title": d["title"], "description": d["description"],
            "operation": {
                "name": d["operation_name"], "address": d["operation_address"], "commune": d["operation_commune"],
                "insee_code": d["operation_insee_code"], "dwellings": d["dwellings"],
                "energy_label_before": d["energy_label_before"], "energy_label_target": d["energy_label_target"],
            },
            "estimated_value": text(d["estimated_value"]),
            "budget_ceiling": text(d.get("budget_ceiling")) or None,
            "works_duration_weeks": d["works_duration_weeks"],
            "questions_deadline": d["questions_deadline"],
            "bid_deadline": d["bid_deadline"],
            "price_method": d["price_method"],
            "standstill": bool(d.get("standstill")),
            "deadline_agreement": d.get("deadline_agreement") or "",
            "criteria": [dict(row["values"]) for row in self.criteria_rows],
            "price_schedule": [dict(row["values"]) for row in self.line_rows],
        }

    def add_service_errors(self, exc: ValidationFailed) -> None:
        """Put a service's errors on the fields, the table rows (``criteria[1].weight``) or the form itself."""
        tables = {"criteria": self.criteria_rows, "price_schedule": self.line_rows}
        for key, messages in exc.errors.items():
            head, _sep, sub = key.partition(".")
            name, bracket, index = head.partition("[")
            if name in tables and bracket:
                try:
                    row = tables[name][int(index.rstrip("]"))]
                except (ValueError, IndexError):
                    row = None
                if row is not None:
                    row["errors"].setdefault(sub or "row", []).extend(messages)
                    continue
            if key in tables:
                self.table_errors[key].extend(messages)
                continue
            field = self.service_aliases.get(key, key)
            for message in messages:
                self.add_error(field if field in self.fields else None, message)

    @property
    def has_table_errors(self) -> bool:
        return any(self.table_errors.values()) or any(
            row["errors"] for row in self.criteria_rows + self.line_rows)


def _plain(value) -> str:
    """A saved quantity as a person types it, the page's way, without trailing zeros (``1200.500`` → ``1 200,5``);
    a text that is not one (an imported cell the service will refuse) as it is."""
    return numbers.format(value, 3, trim=True, field=True) or str(value)


class ScheduleUploadForm(forms.Form):
    """A price schedule (DPGF) prepared in a spreadsheet, imported into the wizard's table (``tenders.dpgf``)."""

    file = forms.FileField(label=_("Importer un bordereau (fichier XLSX)"), required=False,
                           help_text=_("Colonnes « Réf. », « Désignation », « Unité », « Quantité » : les lignes du "
                                       "fichier remplacent celles du tableau ; rien n'est enregistré avant "
                                       "« Enregistrer »."),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,application/vnd.openxmlformats-"
                                                                            "officedocument.spreadsheetml.sheet"}))


class TenderDocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=TenderDocumentKind.choices)
    title = forms.CharField(label=_("Titre"), max_length=255, required=False)
    file = forms.FileField(label=_("Fichier (PDF, JPEG ou PNG)"))


class TenderReasonForm(forms.Form):
    reason = forms.CharField(label=_("Motif"), widget=forms.Textarea(attrs={"rows": 2}), max_length=10_000)


class AnswerForm(forms.Form):
    text = forms.CharField(label=_("Réponse"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000)
