"""A document kind of the framework's own, so that these tests need no tender: the sample letter."""

import pytest

from procurement.documents import registry
from procurement.documents.samples import SAMPLE_TEMPLATE, sample_letter_data
from procurement.models import DocumentKind

SAMPLE_KIND = DocumentKind.AWARD_NOTICE  # replaced by the sample letter for the length of a test


@pytest.fixture
def sample_kind(monkeypatch):
    """Register the sample letter under a kind nobody uses yet; the builder's calls are counted."""
    calls = []
    data = sample_letter_data(pages=2)

    def builder(document):
        calls.append(document.id)
        return data

    monkeypatch.setitem(registry._KINDS, SAMPLE_KIND, registry.Kind(name=SAMPLE_KIND, builder=builder,
                                                                     template=SAMPLE_TEMPLATE))
    return {"kind": SAMPLE_KIND, "data": data, "calls": calls}


@pytest.fixture
def make_document(sample_kind, django_capture_on_commit_callbacks):
    """Request a sample document and run its generation (after commit, in-process) as the platform does."""
    import uuid

    from procurement.documents import services

    def make(key=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            document = services.document_request(kind=sample_kind["kind"], object_type="test",
                                                 object_id=uuid.uuid4(), key=key or f"sample:{uuid.uuid4()}",
                                                 **kwargs)
        document.refresh_from_db()
        return document

    return make
