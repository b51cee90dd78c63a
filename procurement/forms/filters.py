"""The filters of the list pages (GET forms): a value that names nothing is said so under its field, and the
other filters still apply.

``FilterForm.filters()`` is what a list's query uses: the cleaned values of the fields that are valid (an
invalid field is left out, its error shown by ``templates/_field.html``, which ties it to the control with
``aria-describedby``). A choice that does not exist ("999" for a département, an unknown category or state)
is an error worded for that filter, never a silently empty or unfiltered list.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from procurement import inputs
from procurement.errors import ValidationFailed


class FilterForm(forms.Form):
    # Per field name, the message for a choice that does not exist (``%(value)s``: what was sent).
    unknown_choice = {
        "category": _("La catégorie « %(value)s » n'existe pas."),
        "dps": _("Le SAD « %(value)s » n'existe pas."),
        "status": _("L'état « %(value)s » n'existe pas."),
        "state": _("L'état « %(value)s » n'existe pas."),
        "admission_status": _("L'état d'admission « %(value)s » n'existe pas."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.ChoiceField):
                field.error_messages["invalid_choice"] = self.unknown_choice.get(
                    name, _("« %(value)s » ne fait pas partie des choix de ce filtre.")
                )

    def filters(self) -> dict:
        """The valid filters' values (empty for an unbound form)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return dict(self.cleaned_data)


class DepartementField(forms.CharField):
    """A département code (``60``, ``2A``, ``974``; ``1`` is ``01``); an unknown code is an error."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("widget", forms.TextInput(attrs={"size": 3, "placeholder": "60"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return ""
        try:
            return inputs.departement(value, "departement")
        except ValidationFailed as refused:
            raise forms.ValidationError(refused.errors["departement"][0]) from None
