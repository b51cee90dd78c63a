"""French plural rule: "0 question", "1 question", "2 questions" (plural only when n > 1).

The msgids are French, so French needs no translation, but without a French catalogue Django applies the
English rule (n != 1) and would write "0 questions". locale/fr/LC_MESSAGES/django.po carries the plural
entries only, each translated into itself, under ``Plural-Forms: nplurals=2; plural=(n > 1);``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from tests.factories import published_tender

from .test_messages_i18n import _po_entries

LOCALE = Path(settings.BASE_DIR) / "locale"
FR_PO = LOCALE / "fr" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"

WAITING = "%(counter)s question en attente de réponse"
WAITING_PLURAL = "%(counter)s questions en attente de réponse"


@pytest.fixture(autouse=True)
def _language_restored():
    with translation.override(settings.LANGUAGE_CODE):
        yield


def test_ngettext_in_french_is_singular_for_zero_and_one():
    with translation.override("fr"):
        said = {n: ngettext(WAITING, WAITING_PLURAL, n) % {"counter": n} for n in (0, 1, 2, 15)}
    assert said == {0: "0 question en attente de réponse", 1: "1 question en attente de réponse",
                    2: "2 questions en attente de réponse", 15: "15 questions en attente de réponse"}


def test_english_keeps_its_own_rule():
    with translation.override("en"):
        assert ngettext(WAITING, WAITING_PLURAL, 0) % {"counter": 0} == "0 questions awaiting an answer"
        assert ngettext(WAITING, WAITING_PLURAL, 1) % {"counter": 1} == "1 question awaiting an answer"


def test_the_french_catalogue_holds_every_plural_entry_and_nothing_else():
    text = FR_PO.read_text(encoding="utf-8")
    assert '"Language: fr\\n"' in text
    assert '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"' in text
    entries = _po_entries(FR_PO)
    assert entries, "locale/fr/LC_MESSAGES/django.po has no entries"
    for entry in entries:
        strings = entry["strings"]
        assert "fuzzy" not in entry["flags"], strings["msgid"]
        assert "msgid_plural" in strings, f"not a plural entry: {strings['msgid']!r}"
        assert strings["msgstr[0]"] == strings["msgid"]
        assert strings["msgstr[1]"] == strings["msgid_plural"]
    # Refreshed along with the English catalogue: the same plural strings on both sides.
    english = {e["strings"]["msgid"] for e in _po_entries(EN_PO) if "msgid_plural" in e["strings"]}
    assert {e["strings"]["msgid"] for e in entries} == english


@pytest.mark.django_db
def test_the_console_says_0_question_for_a_tender_without_waiting_questions(client, buyer):
    tender, _invited = published_tender(suppliers=1)
    client.force_login(buyer)
    response = client.get(reverse("tenders_console:questions", args=[tender.id]))
    assert response.status_code == 200
    assert response["Content-Language"] == "fr"
    body = response.content.decode()
    assert "0 question en attente de réponse" in body
    assert "0 questions en attente de réponse" not in body
