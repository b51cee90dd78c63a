"""Column sorting of the list pages, by whitelisted keys only.

A list selector names its sort keys (``{"entreprise": ("company__name",), …}``) and takes ``sort``: a key,
or ``-key`` for descending. Anything else (an unknown key, a field name, an injection attempt) is ignored
and the list keeps its usual order: the URL never names a database column.

Text columns (names, references, communes) are ordered by the French collation (``procurement.text``):
"Électricité" among the E's, "Bâtisseurs" before "Boulonnais", whatever the database.

Pages read the requested key with ``Sorting`` (parameter ``tri``), which gives each sortable header its
link and its ``aria-sort`` (``templates/_sort_th.html``); the export links keep the same ``tri``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import FieldDoesNotExist
from django.db.models import CharField, F, QuerySet, TextField

from . import text

SORT_PARAM = "tri"


def parse(value: str | None, allowed: Iterable[str]) -> tuple[str, bool] | None:
    """``"-recue"`` → ``("recue", True)`` when the key is allowed; ``None`` otherwise."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value[1:] if descending else value
    return (key, descending) if key and key in set(allowed) else None


def apply(qs: QuerySet, sort: str | None, sorts: Mapping[str, tuple[str, ...]], *, tiebreak: str = "id") -> QuerySet:
    """``qs`` ordered by the whitelisted key ``sort`` (empty values last), its usual order otherwise."""
    parsed = parse(sort, sorts)
    if parsed is None:
        return qs
    key, descending = parsed
    fields = []
    for name in sorts[key]:
        expression = text.french(name) if is_text(qs.model, name) else F(name)
        fields.append(expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True))
    return qs.order_by(*fields, f"-{tiebreak}" if descending else tiebreak)


def is_text(model, path: str) -> bool:
    """Whether ``path`` (``"company__name"``) names a text column of ``model`` (an annotation does not)."""
    *relations, last = path.split("__")
    try:
        for name in relations:
            model = model._meta.get_field(name).related_model
        field = model._meta.get_field(last)
    except (FieldDoesNotExist, AttributeError):
        return False
    return isinstance(field, CharField | TextField) and not field.choices


class Sorting:
    """The sort a list page was asked for, and what each sortable header links to.

    ``sorting.columns.<key>``: ``url`` (the same query with this key, the other direction when it is the
    current one; the page number dropped) and ``aria`` (``ascending`` / ``descending`` / ``""``).
    """

    def __init__(self, request, allowed: Iterable[str]):
        allowed = list(allowed)
        raw = request.GET.get(SORT_PARAM)
        parsed = parse(raw, allowed)
        self.key, self.descending = parsed if parsed else (None, False)
        self.value = (("-" if self.descending else "") + self.key) if self.key else None
        self.columns = {}
        for key in allowed:
            query = request.GET.copy()
            query.pop("page", None)
            current = key == self.key
            query[SORT_PARAM] = f"-{key}" if current and not self.descending else key
            aria = ("descending" if self.descending else "ascending") if current else ""
            self.columns[key] = {"url": "?" + query.urlencode(), "aria": aria, "current": current}
