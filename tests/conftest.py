"""Fixtures shared by every test.

External services (PostgreSQL, Redis, an S3 server, Chromium): a test that needs one asks for
``require_postgres``, ``require_redis``, ``require_s3`` or ``require_chromium`` (or carries the marker
``postgres``, ``s3`` or ``browser``, which asks for the matching fixture). When the service is absent
the test is skipped with a one-line reason; with ``REQUIRE_SERVICES=1`` (set by ``.ci/run``) it fails
instead, so CI proves every such test really ran.

Every test gets, unless it opts out:
- Celery tasks run in-process (``CELERY_TASK_ALWAYS_EAGER``), even when CI configures a broker; a test
  that uses ``celery_worker_real`` gets a real worker instead;
- files stored in a fresh temporary folder (FileSystemStorage); tests marked ``s3`` keep the storage
  the environment configures;
- a fast password hasher.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "").strip().lower() in {"1", "true", "yes", "on"}


def missing_service(reason: str):
    """Skip the test, or fail it when REQUIRE_SERVICES=1 says every service must be there."""
    if services_required():
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _can_connect(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _redis_answers(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss"}:
        return False
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1.0) as sock:
            if parts.password:
                user = parts.username or "default"
                sock.sendall(f"AUTH {user} {parts.password}\r\n".encode())
                if not sock.recv(64).startswith(b"+OK"):
                    return False
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


# --- Service requirements ------------------------------------------------------------------------


@pytest.fixture
def require_postgres():
    """The test database is PostgreSQL (DATABASE_URL=postgres://…)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        missing_service(f"needs PostgreSQL, the database is {connection.vendor} (set DATABASE_URL=postgres://…)")


@pytest.fixture
def require_redis():
    """CELERY_BROKER_URL points at a Redis server that answers PING; returns the URL."""

    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url:
        missing_service("needs Redis: CELERY_BROKER_URL is not set")
    if not _redis_answers(url):
        missing_service(f"needs Redis: no answer to PING at {urlsplit(url).netloc.rpartition('@')[2]}")
    return url


@dataclass(frozen=True)
class S3Config:
    bucket: str
    endpoint_url: str
    region: str
    access_key: str
    secret_key: str

    def storage_options(self) -> dict:
        return {
            "bucket_name": self.bucket,
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "default_acl": None,
            "file_overwrite": False,
        }

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )


def _s3_config_from_env() -> S3Config | None:
    bucket = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
    endpoint = os.environ.get("AWS_S3_ENDPOINT_URL", "")
    if not (bucket and endpoint):
        return None
    return S3Config(
        bucket=bucket,
        endpoint_url=endpoint,
        region=os.environ.get("AWS_S3_REGION_NAME", "us-east-1"),
        access_key=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        secret_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
    )


def _ensure_bucket(config: S3Config):
    from botocore.exceptions import ClientError

    client = config.client()
    try:
        client.head_bucket(Bucket=config.bucket)
        return
    except ClientError:
        pass
    extra = {} if config.region == "us-east-1" else {
        "CreateBucketConfiguration": {"LocationConstraint": config.region}
    }
    try:
        client.create_bucket(Bucket=config.bucket, **extra)
    except ClientError as exc:  # another xdist worker created it first
        if exc.response.get("Error", {}).get("Code") not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
            raise


@pytest.fixture
def require_s3() -> S3Config:
    """AWS_STORAGE_BUCKET_NAME and AWS_S3_ENDPOINT_URL are set and the server answers; the bucket exists.

    Returns an ``S3Config`` (``.storage_options()`` for S3Storage, ``.client()`` for boto3).
    """
    config = _s3_config_from_env()
    if config is None:
        missing_service("needs an S3 server: AWS_STORAGE_BUCKET_NAME and AWS_S3_ENDPOINT_URL are not set")
    parts = urlsplit(config.endpoint_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if not _can_connect(parts.hostname or "", port):
        missing_service(f"needs an S3 server: nothing answers at {parts.hostname}:{port}")
    _ensure_bucket(config)
    return config


@pytest.fixture
def require_chromium() -> Path:
    """Debian's Chromium is installed at /usr/bin/chromium; returns its path."""
    if not CHROMIUM.exists():
        missing_service(f"needs Chromium: {CHROMIUM} is absent (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(autouse=True)
def _services_from_markers(request):
    """``@pytest.mark.postgres`` / ``s3`` / ``browser`` ask for the matching requirement."""
    for marker, fixture in (("postgres", "require_postgres"), ("s3", "require_s3"), ("browser", "require_chromium")):
        if request.node.get_closest_marker(marker):
            request.getfixturevalue(fixture)


# --- The standing staff members of page and service tests --------------------------------------


@pytest.fixture
def buyer():
    from tests.factories import StaffFactory

    return StaffFactory(roles=["buyer"])


@pytest.fixture
def evaluator():
    from tests.factories import StaffFactory

    return StaffFactory(roles=["evaluator"])


@pytest.fixture
def approver():
    from tests.factories import StaffFactory

    return StaffFactory(roles=["approver"])


# --- Settings for every test ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _french_after_each_test():
    """A request in English leaves English active in the thread: put French back for the next test."""
    yield
    from django.utils import translation

    translation.activate("fr")


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test has a cache of its own, in memory, whatever CACHE_URL says: its counters (login failures,
    mails asked for: procurement.accounts.throttle) start empty and no shared cache is ever cleared."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"test-{uuid.uuid4().hex}"}}


@pytest.fixture(autouse=True)
def _long_lived_api_tokens(settings):
    """Tests travel weeks ahead (deadlines, openings) with the clients they made before: their API tokens last
    a year. tests/test_tokens.py sets the lifetime it checks."""
    settings.API_TOKEN_LIFETIME_HOURS = 24 * 366


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_in_process(request, settings):
    """Run Celery tasks in-process, unless the test drives a real worker."""
    if "celery_worker_real" not in request.fixturenames:
        settings.CELERY_TASK_ALWAYS_EAGER = True
        settings.CELERY_TASK_EAGER_PROPAGATES = True


@pytest.fixture(autouse=True)
def _files_in_temporary_folder(request, settings, tmp_path):
    """Ordinary tests store files under their own tmp_path; tests marked ``s3`` keep the real storage."""
    if request.node.get_closest_marker("s3"):
        return
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


# --- A real Celery worker ------------------------------------------------------------------------


@dataclass
class CeleryWorker:
    """A worker subprocess consuming ``queue``: the test's tasks go there, and only there."""

    queue: str
    process: subprocess.Popen
    log_path: Path
    mail_dir: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def sent_mails(self) -> list[email.message.EmailMessage]:
        """Mails the worker sent (its EMAIL_URL is a file backend writing into ``mail_dir``), decoded:
        ``msg["To"]``, ``msg["Subject"]``, ``msg.get_content()``."""
        messages = []
        for path in sorted(self.mail_dir.glob("*.log")):
            # The file backend separates messages with a line of 79 dashes.
            for chunk in path.read_text().split("\n" + "-" * 79 + "\n"):
                if chunk.strip():
                    messages.append(email.message_from_string(chunk, policy=email.policy.default))
        return messages

    def wait_for(self, predicate, timeout: float = 20.0, interval: float = 0.1):
        """Poll ``predicate()`` until it returns something truthy; fail with the worker's log otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            if self.process.poll() is not None:
                pytest.fail(f"Celery worker exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            time.sleep(interval)
        pytest.fail(f"Condition not met within {timeout}s; worker log:\n{self.log()[-4000:]}")


@pytest.fixture
def celery_worker_real(request, require_postgres, require_redis, settings, tmp_path):
    """A real ``celery -A procurement worker`` subprocess on the Redis broker and the test database.

    Needs PostgreSQL (the worker connects to this test's database, which a second process cannot do
    with SQLite's in-memory test database) and ``@pytest.mark.django_db(transaction=True)`` (the worker
    only sees committed rows). Tasks queued by the test are routed to a queue of its own, so workers of
    parallel test processes never take each other's tasks. Mails sent by the worker are written to
    files: read them with ``celery_worker_real.sent_mails()``; wait with ``.wait_for(predicate)``.
    """
    from django.db import connection

    from procurement.benchmarking import WORKER_MAIN, database_url
    from procurement.celery import app

    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    if not (transactional or "transactional_db" in request.fixturenames):
        pytest.fail("celery_worker_real needs @pytest.mark.django_db(transaction=True)", pytrace=False)

    settings.CELERY_TASK_ALWAYS_EAGER = False
    queue = f"sad-test-{uuid.uuid4().hex[:12]}"
    mail_dir = tmp_path / "worker-mail"
    mail_dir.mkdir()
    log_path = tmp_path / "celery-worker.log"

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "procurement.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": require_redis,
        # django-environ drops one leading slash of the path: four in all for an absolute path.
        "EMAIL_URL": f"filemail:///{mail_dir}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher",
    }
    if not request.node.get_closest_marker("s3"):
        # Same storage as the test process: the temporary folder.
        env.pop("AWS_STORAGE_BUCKET_NAME", None)
    # ``celery -A procurement worker``, except that tasks the worker itself queues (a service's mails, sent
    # after commit) must go to this test's queue too, or nobody would consume them.
    command = [
        sys.executable, "-c", WORKER_MAIN, queue, "worker",
        "-P", "solo", "-c", "1",
        "-Q", queue,
        "-n", f"{queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--loglevel=INFO",
    ]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
    worker = CeleryWorker(queue=queue, process=process, log_path=log_path, mail_dir=mail_dir)

    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        worker.wait_for(lambda: " ready." in worker.log(), timeout=60)
        yield worker
    finally:
        app.conf.task_default_queue = previous_queue
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        try:
            with app.connection_for_write() as conn:
                channel = conn.default_channel
                channel.queue_delete(queue)
                channel.client.delete(f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        except Exception:  # noqa: BLE001  best effort: an unused queue key left in Redis is harmless
            pass
