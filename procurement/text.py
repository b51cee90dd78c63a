"""Text that people search and sort in French: the one place where "Béthune", "BETHUNE" and "bethune" become
the same word, and where "Électricité" sorts with the E's.

- ``fold(text)``: the search form of a text (case folded, accents and ligatures undone, apostrophes and
  spaces made plain). Every normalisation of searched text goes through it: the stored search columns
  (``SearchField``) and the words typed in a search box (``matches``), so both sides always agree.
- ``SearchField``: a column holding ``fold`` of some text fields of the row, written by Django itself on
  every ``save()`` and ``bulk_create()`` (``pre_save``). ``save(update_fields=[…])`` must name it too:
  models call ``with_search_fields`` in their ``save``. ``QuerySet.update()`` and ``bulk_update()`` bypass
  it: code changing a searched field that way must recompute the column.
- ``french(field)``: an ordering by the French collation. PostgreSQL has it from ICU (``fr-x-icu``);
  SQLite gets a collation of the same name on every connection (``register_sqlite_collation``), ordering by
  ``fold`` then by the text itself, so a page is ordered the same way on both databases.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Collate

FRENCH_COLLATION = "fr-x-icu"

# What NFKD leaves whole: the ligatures of French words, the typographic apostrophes and dashes.
_PLAIN = str.maketrans(
    {
        "œ": "oe",
        "æ": "ae",
        "ø": "o",
        "đ": "d",
        "ł": "l",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "‐": "-",
        "‑": "-",
        "–": "-",
        "—": "-",
    }
)


def fold(text: str | None) -> str:
    """``"  L’Électricité  du   Nord "`` → ``"l'electricite du nord"``: lower case (casefold: "ß" → "ss"),
    without accents, ligatures undone (œ → oe, ﬁ → fi), one plain space between words."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.translate(_PLAIN).split())


def words(query: str | None) -> list[str]:
    """The folded words of a search box (empty for blank input)."""
    return fold(query).split()


def matches(field: str, query: str | None) -> Q:
    """Rows whose search column ``field`` contains every word of ``query``, in any order (all rows when
    the query has no words). The column holds folded text, so a plain ``contains`` ignores case and accents;
    on PostgreSQL a trigram index on the column serves it."""
    condition = Q()
    for word in words(query):
        condition &= Q(**{f"{field}__contains": word})
    return condition


# --- the stored search column ----------------------------------------------------------------------------

SEPARATOR = "\n"  # between the folded sources: a folded query never holds one, so no match spans two fields


class SearchField(models.TextField):
    """``fold`` of the ``sources`` fields of the row, one per line, kept in step by Django on every save."""

    def __init__(self, *args, sources: Iterable[str] = (), **kwargs):
        self.sources = tuple(sources)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["sources"] = list(self.sources)
        for key, value in (("editable", False), ("blank", True), ("default", "")):
            if kwargs.get(key, value) == value:
                kwargs.pop(key, None)
        return name, path, args, kwargs

    def value_for(self, instance) -> str:
        return SEPARATOR.join(fold(getattr(instance, source)) for source in self.sources)

    def pre_save(self, instance, add):
        value = self.value_for(instance)
        setattr(instance, self.attname, value)
        return value


def with_search_fields(instance, update_fields):
    """``update_fields`` plus the search columns of ``instance`` fed by one of them (None stays None: a
    full save writes every column)."""
    if update_fields is None:
        return None
    update_fields = list(update_fields)
    for field in instance._meta.concrete_fields:
        if (
            isinstance(field, SearchField)
            and field.name not in update_fields
            and any(source in update_fields for source in field.sources)
        ):
            update_fields.append(field.name)
    return update_fields


# --- French ordering --------------------------------------------------------------------------------------


def french(field: str | F) -> Collate:
    """``field`` compared by the French collation: for ``order_by(french("name"), "id")``."""
    return Collate(F(field) if isinstance(field, str) else field, FRENCH_COLLATION)


@functools.lru_cache(maxsize=65536)
def _sort_key(text: str) -> tuple[str, str]:
    return fold(text), text


def _compare(left: str, right: str) -> int:
    left_key, right_key = _sort_key(left), _sort_key(right)
    return (left_key > right_key) - (left_key < right_key)


def register_sqlite_collation(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: SQLite learns the collation PostgreSQL has from ICU."""
    if connection.vendor == "sqlite":
        connection.connection.create_collation(FRENCH_COLLATION, _compare)
