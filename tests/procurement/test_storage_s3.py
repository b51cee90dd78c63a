import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages

pytestmark = pytest.mark.s3


@pytest.fixture
def s3_default_storage(require_s3, settings):
    """default_storage is S3Storage on the test server, whatever the environment configured."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": require_s3.storage_options()},
    }
    return default_storage


def test_a_file_round_trips_through_s3(s3_default_storage, require_s3):
    from storages.backends.s3 import S3Storage

    assert isinstance(storages["default"], S3Storage)
    content = bytes(range(256)) * 64 + "Kbis — société à responsabilité limitée".encode()
    name = s3_default_storage.save(f"evidence/{uuid.uuid4().hex}/kbis.pdf", ContentFile(content))

    assert s3_default_storage.exists(name)
    assert s3_default_storage.size(name) == len(content)
    with s3_default_storage.open(name, "rb") as handle:
        assert handle.read() == content
    # The object really is in the bucket, not in a local folder.
    stored = require_s3.client().get_object(Bucket=require_s3.bucket, Key=name)["Body"].read()
    assert stored == content

    s3_default_storage.delete(name)
    assert not s3_default_storage.exists(name)


def test_saving_the_same_name_twice_keeps_both(s3_default_storage):
    base = f"evidence/{uuid.uuid4().hex}/urssaf.pdf"
    first = s3_default_storage.save(base, ContentFile(b"first"))
    second = s3_default_storage.save(base, ContentFile(b"second"))
    try:
        assert first != second
        with s3_default_storage.open(first, "rb") as handle:
            assert handle.read() == b"first"
    finally:
        s3_default_storage.delete(first)
        s3_default_storage.delete(second)
