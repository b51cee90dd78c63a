"""Forms of the supplier portal: they parse what a page posts into the arguments of one service call.

Business rules (SIRET checksum, dates, file contents…) stay in the services; their errors are shown on
the matching fields with ``procurement.web.add_service_errors``.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from procurement.forms import fields as number_fields
from procurement.inputs import parse_decimal
from procurement.models import EvidenceKind, Trade

from ..evidence_files import human_size
from ..models import EXCLUSION_GROUNDS, MembershipRole

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
TURNOVER_YEARS = 3
REFERENCE_ROWS = 3

# Countries offered to foreign companies (EU/EEA, United Kingdom, Switzerland); France first.
COUNTRIES = [
    ("FR", _("France")),
    ("BE", _("Belgique")), ("LU", _("Luxembourg")), ("DE", _("Allemagne")), ("NL", _("Pays-Bas")),
    ("ES", _("Espagne")), ("IT", _("Italie")), ("PT", _("Portugal")), ("PL", _("Pologne")),
    ("AT", _("Autriche")), ("BG", _("Bulgarie")), ("CY", _("Chypre")), ("HR", _("Croatie")),
    ("DK", _("Danemark")), ("EE", _("Estonie")), ("FI", _("Finlande")), ("GR", _("Grèce")),
    ("HU", _("Hongrie")), ("IE", _("Irlande")), ("LV", _("Lettonie")), ("LT", _("Lituanie")),
    ("MT", _("Malte")), ("CZ", _("Tchéquie")), ("RO", _("Roumanie")), ("SK", _("Slovaquie")),
    ("SI", _("Slovénie")), ("SE", _("Suède")), ("NO", _("Norvège")), ("IS", _("Islande")),
    ("LI", _("Liechtenstein")), ("CH", _("Suisse")), ("GB", _("Royaume-Uni")),
]


def _date_field(label, required=True, help_text=""):
    return forms.DateField(label=label, required=required, input_formats=DATE_FORMATS, help_text=help_text,
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


def turnover_years() -> list[int]:
    """The last closed financial years, most recent first."""
    last = timezone.localdate().year - 1
    return [last - i for i in range(TURNOVER_YEARS)]


class TurnoverFieldsMixin:
    """Three optional amount fields ``turnover_<year>``; ``turnovers()`` gives the service's list."""

    def _add_turnover_fields(self, initial_turnovers=None):
        known = {int(t["year"]): parse_decimal(t.get("amount")) for t in (initial_turnovers or []) if "year" in t}
        for year in turnover_years():
            self.fields[f"turnover_{year}"] = number_fields.DecimalField(
                label=_("Chiffre d'affaires %(year)s (€ HT)") % {"year": year}, required=False, min_value=0,
                max_digits=14, decimal_places=2, initial=known.get(year), trim=True,
            )

    def turnover_field_names(self):
        return [f"turnover_{year}" for year in turnover_years()]

    @property
    def turnover_bound_fields(self):
        return [self[name] for name in self.turnover_field_names()]

    def turnovers(self) -> list[dict]:
        out = []
        for year in turnover_years():
            amount = self.cleaned_data.get(f"turnover_{year}")
            if amount is not None:
                out.append({"year": year, "amount": str(amount)})
        return out

    def turnover_aliases(self, prefix="turnovers") -> dict[str, str]:
        """Service errors ``turnovers[i]`` point at the i-th amount actually sent."""
        sent = [f"turnover_{t['year']}" for t in self.turnovers()]
        return {f"{prefix}[{i}]": name for i, name in enumerate(sent)}


class CompanyForm(TurnoverFieldsMixin, forms.Form):
    """Registration of a company: French (SIRET) or foreign (national identifier or VAT number)."""

    country = forms.ChoiceField(label=_("Pays du siège"), choices=COUNTRIES, initial="FR")
    name = forms.CharField(label=_("Raison sociale"), max_length=255)
    siret = forms.CharField(label=_("SIRET"), max_length=20, required=False,
                            help_text=_("14 chiffres, sans espaces : SIREN (9 chiffres) + NIC (5 chiffres)."),
                            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    national_id = forms.CharField(label=_("Identifiant national"), max_length=50, required=False,
                                  help_text=_("Entreprise étrangère : numéro d'immatriculation dans votre pays "
                                              "(ou laissez vide et indiquez votre numéro de TVA)."))
    vat_number = forms.CharField(label=_("Numéro de TVA intracommunautaire"), max_length=20, required=False,
                                 help_text=_("Facultatif pour une entreprise française. Exemple : FR12345678901."))
    legal_form = forms.CharField(label=_("Forme juridique"), max_length=100, required=False,
                                 help_text=_("Par exemple SARL, SAS, EURL, entreprise individuelle."))
    naf_code = forms.CharField(label=_("Code NAF / APE"), max_length=6, required=False,
                               help_text=_("Par exemple 4329A (travaux d'isolation)."))
    street = forms.CharField(label=_("Adresse"), max_length=255, required=False)
    postal_code = forms.CharField(label=_("Code postal"), max_length=10, required=False)
    city = forms.CharField(label=_("Commune"), max_length=100, required=False)
    employees = number_fields.IntegerField(label=_("Effectif (salariés)"), required=False, min_value=0)

    identifier_fields = ("country", "siret", "national_id")

    def __init__(self, *args, company=None, **kwargs):
        if company is not None:
            kwargs.setdefault("initial", {
                "country": company.country, "name": company.name, "siret": company.siret or "",
                "national_id": company.national_id, "vat_number": company.vat_number,
                "legal_form": company.legal_form, "naf_code": company.naf_code, "street": company.street,
                "postal_code": company.postal_code, "city": company.city, "employees": company.employees,
            })
        super().__init__(*args, **kwargs)
        self._add_turnover_fields(company.turnovers if company is not None else None)
        if company is not None:  # identifiers are fixed once registered
            for name in self.identifier_fields:
                self.fields[name].disabled = True
                self.fields[name].required = False
        else:
            # Required for a French company only (the field is shown for France alone): marked as required in
            # the page, checked by the service, which knows the country.
            self.fields["siret"].required_when_shown = True
            self.fields["siret"].widget.attrs["aria-required"] = "true"

    def service_data(self) -> dict:
        data = {key: self.cleaned_data.get(key) for key in (
            "country", "name", "siret", "national_id", "vat_number", "legal_form", "naf_code", "employees")}
        data["address"] = {key: self.cleaned_data.get(key) or "" for key in ("street", "postal_code", "city")}
        data["turnovers"] = self.turnovers()
        return data

    def aliases(self) -> dict[str, str]:
        return {"address.postal_code": "postal_code", "address.street": "street", "address.city": "city",
                **self.turnover_aliases()}


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Adresse e-mail de votre collègue"))
    role = forms.ChoiceField(label=_("Rôle"), choices=MembershipRole.choices, initial=MembershipRole.MEMBER,
                             help_text=_("Un administrateur peut modifier l'entreprise et inviter d'autres personnes."))


YES_NO = [("no", _("Non")), ("yes", _("Oui"))]


class DeclarationForm(TurnoverFieldsMixin, forms.Form):
    """The declaration on honour: every exclusion ground answered, capacities, signatory, oath."""

    staff = number_fields.IntegerField(label=_("Effectif moyen annuel"), required=False, min_value=0)
    signatory = forms.CharField(label=_("Nom et qualité du signataire"), max_length=255,
                                help_text=_("Par exemple : Jeanne Martin, gérante."))
    sworn = forms.BooleanField(
        label=_("Je certifie sur l'honneur l'exactitude et la sincérité des informations de cette déclaration."),
        required=True, error_messages={"required": _("Vous devez certifier sur l'honneur l'exactitude de la déclaration.")},
    )

    def __init__(self, *args, declaration=None, company=None, **kwargs):
        super().__init__(*args, **kwargs)
        previous_grounds = declaration.exclusion_grounds if declaration else {}
        capacities = declaration.capacities if declaration else {}
        for code, label in EXCLUSION_GROUNDS.items():
            initial = None
            if code in previous_grounds:
                initial = "yes" if previous_grounds[code] else "no"
            self.fields[f"ground_{code}"] = forms.ChoiceField(
                label=label, choices=YES_NO, widget=forms.RadioSelect, initial=initial,
                error_messages={"required": _("Répondez par oui ou par non.")},
            )
        turnovers = capacities.get("turnovers") or (company.turnovers if company is not None else None)
        self._add_turnover_fields(turnovers)
        if declaration is not None:
            self.fields["staff"].initial = capacities.get("staff")
            self.fields["signatory"].initial = declaration.signatory
        elif company is not None:
            self.fields["staff"].initial = company.employees
        references = capacities.get("references") or []
        for index in range(REFERENCE_ROWS):
            ref = references[index] if index < len(references) else {}
            self.fields[f"ref_{index}_title"] = forms.CharField(
                label=_("Intitulé de l'opération"), max_length=255, required=False, initial=ref.get("title"))
            self.fields[f"ref_{index}_client"] = forms.CharField(
                label=_("Maître d'ouvrage"), max_length=255, required=False, initial=ref.get("client"))
            self.fields[f"ref_{index}_year"] = forms.IntegerField(
                label=_("Année"), required=False, min_value=1950, max_value=2100, initial=ref.get("year"))
            self.fields[f"ref_{index}_amount"] = number_fields.DecimalField(
                label=_("Montant (€ HT)"), required=False, min_value=0, max_digits=14, decimal_places=2,
                initial=parse_decimal(ref.get("amount")), trim=True)

    @property
    def ground_fields(self):
        return [self[f"ground_{code}"] for code in EXCLUSION_GROUNDS]

    @property
    def reference_rows(self):
        return [[self[f"ref_{i}_{part}"] for part in ("title", "client", "year", "amount")]
                for i in range(REFERENCE_ROWS)]

    def service_kwargs(self) -> dict:
        grounds = {code: self.cleaned_data[f"ground_{code}"] == "yes" for code in EXCLUSION_GROUNDS}
        references = []
        for index in range(REFERENCE_ROWS):
            row = {part: self.cleaned_data.get(f"ref_{index}_{part}") for part in ("title", "client", "year", "amount")}
            if not any(v not in (None, "") for v in row.values()):
                continue
            if row["amount"] is not None:
                row["amount"] = str(row["amount"])
            references.append({k: v for k, v in row.items() if v not in (None, "")} | {"title": row["title"] or ""})
        capacities = {"turnovers": self.turnovers(), "references": references}
        if self.cleaned_data.get("staff") is not None:
            capacities["staff"] = self.cleaned_data["staff"]
        return {"exclusion_grounds": grounds, "capacities": capacities, "sworn": bool(self.cleaned_data.get("sworn")),
                "signatory": self.cleaned_data.get("signatory") or ""}

    def aliases(self) -> dict[str, str]:
        out = {"capacities.staff": "staff", **self.turnover_aliases("turnovers")}
        sent = [i for i in range(REFERENCE_ROWS)
                if any(self.cleaned_data.get(f"ref_{i}_{p}") not in (None, "") for p in ("title", "client", "year", "amount"))]
        out.update({f"capacities.references[{n}]": f"ref_{i}_title" for n, i in enumerate(sent)})
        return out


class EvidenceUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type de justificatif"), choices=[("", "—")] + list(EvidenceKind.choices))
    file = forms.FileField(label=_("Fichier"))
    issued_on = _date_field(_("Délivré le"))
    valid_until = _date_field(
        _("Valide jusqu'au"), required=False,
        help_text=_("Laissez vide si le document n'a pas de date d'expiration. "
                    "L'attestation URSSAF est valable 6 mois après sa délivrance."),
    )
    activities = forms.MultipleChoiceField(
        label=_("Activités couvertes (attestations d'assurance)"), required=False, choices=Trade.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Pour une assurance responsabilité civile ou décennale : cochez les activités que "
                    "l'attestation couvre. Elles doivent comprendre le corps d'état du marché attribué."),
    )

    # The file already received and kept aside while the person confirms (``suppliers.evidence_stash``), and
    # that confirmation: whether it is needed is the service's rule (``services.ExpiredEvidence``).
    stash = forms.CharField(required=False, widget=forms.HiddenInput)
    confirm_expired = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("PDF, JPEG ou PNG, %(size)s maximum.") % {
            "size": human_size(settings.EVIDENCE_MAX_UPLOAD_BYTES)}
        self.fields["file"].widget.attrs["accept"] = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
        if self.is_bound and self.data.get("stash"):
            self.fields["file"].required = False  # received already: choosing another one stays possible


class ApplyForm(forms.Form):
    """Categories chosen among those of one DPS."""

    categories = forms.MultipleChoiceField(
        label=_("Catégories"), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins une catégorie.")},
    )

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [(str(c.id), c.code) for c in categories]


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Motif (facultatif)"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))
