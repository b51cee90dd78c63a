"""The API's JSON renderer: DRF's output, written by orjson.

Serialising a list of fifty objects with the standard library's encoder costs several milliseconds; orjson
writes the same JSON (UTF-8, compact) in a fraction of that. Whatever orjson does not know natively (lazy
translations, dates and times left as objects, decimals) goes through DRF's own encoder, so a value renders
as it always did.
"""

from __future__ import annotations

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_fallback = JSONEncoder(ensure_ascii=False).default
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, default=_fallback, option=_OPTIONS)
