import importlib

from django.test import override_settings


def test_stored_files_are_never_served_by_path_even_in_debug():
    """Evidence is served only by the views that check membership, never as a static media file."""
    urls = importlib.import_module("procurement.urls")
    try:
        with override_settings(DEBUG=True):
            patterns = importlib.reload(urls).urlpatterns
        assert not [p for p in patterns if "media" in str(p.pattern)]
    finally:
        importlib.reload(urls)
