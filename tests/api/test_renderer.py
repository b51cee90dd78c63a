"""The orjson renderer writes exactly what DRF's JSON renderer wrote."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer

from procurement.api_renderers import JSONRenderer


def test_same_bytes_as_drf_for_every_kind_of_value():
    data = {
        "numbers": [1, 2.5, None, True, 10**15], "amount": decimal.Decimal("1250.50"), "id": uuid.uuid4(),
        "at": timezone.now(), "on": dt.date(2026, 5, 1), "label": gettext_lazy("Fichier introuvable"),
        "accents": "Société « Ünïe » — 12 €", "nested": {"list": [{"a": "b"}], "empty": []},
    }
    assert JSONRenderer().render(data) == DRFJSONRenderer().render(data)
    assert JSONRenderer().render(None) == b""
