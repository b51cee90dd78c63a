"""Start-up configuration, checked in a fresh process as production starts it."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# Variables of the outer environment (CI sets some) that must not leak into these checks.
CONFIG_VARIABLES = {
    "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CONN_MAX_AGE", "CELERY_BROKER_URL", "EMAIL_URL",
    "AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL", "SITE_URL", "WORKING_DAYS_MODE", "PASSWORD_HASHERS",
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "CSRF_TRUSTED_ORIGINS", "MEDIA_ROOT", "SEALING_MASTER_KEYS",
    "SIGNING_CERT_FILE", "SIGNING_KEY_FILE", "SIGNING_KEY_PASSWORD", "SIGNING_TSA_URL", "SIGNING_DEV_DIR",
    "SIGNING_DEVELOPMENT_CERTIFICATE", "BUYER_LEGAL_REGIME",
}
PRODUCTION_KEY = base64.b64encode(os.urandom(32)).decode()


def manage(*args, tmp_path, **variables):
    env = {key: value for key, value in os.environ.items() if key not in CONFIG_VARIABLES}
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp_path / 'check.sqlite3'}")
    env.update(variables)
    env["DJANGO_SETTINGS_MODULE"] = "procurement.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "notaurl"),
        ("DEBUG", "maybe"),
        ("CONN_MAX_AGE", "abc"),
        ("EMAIL_URL", "notaurl"),
        ("SITE_URL", "notaurl"),
    ],
)
def test_a_malformed_variable_stops_start_up_naming_it(tmp_path, variable, value):
    result = manage("check", tmp_path=tmp_path, **{variable: value})

    assert result.returncode != 0
    assert f"Environment variable {variable} is malformed" in result.stderr


def test_an_unknown_legal_regime_stops_start_up_naming_the_choices(tmp_path):
    result = manage("check", tmp_path=tmp_path, BUYER_LEGAL_REGIME="mixed")
    assert result.returncode != 0
    assert 'BUYER_LEGAL_REGIME must be "private" (an ESH) or "public" (an OPH)' in result.stderr
    assert manage("check", tmp_path=tmp_path, BUYER_LEGAL_REGIME="public").returncode == 0


def test_a_database_url_password_is_not_echoed(tmp_path):
    result = manage("check", tmp_path=tmp_path, DATABASE_URL="nosuchdb://admin:hunter2-secret@db/sad")
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert "hunter2-secret" not in result.stderr


def test_the_embedded_default_passes_the_checks(tmp_path):
    result = manage("check", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_settings_pass_the_deployment_checks(tmp_path):
    from tests.procurement.documents.test_services import write_certificate

    cert, key = write_certificate(tmp_path)
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        tmp_path=tmp_path,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="sad.example.fr",
        SITE_URL="https://sad.example.fr",
        EMAIL_URL="smtp://mailer:password@smtp.example.fr:587",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        SEALING_MASTER_KEYS=PRODUCTION_KEY,
        SIGNING_CERT_FILE=str(cert),
        SIGNING_KEY_FILE=str(key),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_without_a_signing_certificate_refuses_to_start(tmp_path):
    result = manage("check", tmp_path=tmp_path, DEBUG="false", SECRET_KEY=secrets.token_urlsafe(64),
                    ALLOWED_HOSTS="sad.example.fr", SEALING_MASTER_KEYS=PRODUCTION_KEY)
    assert result.returncode != 0
    assert "sad.E010" in result.stderr and "SIGNING_CERT_FILE" in result.stderr


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    result = manage("check", tmp_path=tmp_path, DEBUG="false", ALLOWED_HOSTS="sad.example.fr")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_static_files_are_served_without_debug(client, settings):
    """DEBUG=false in production: stylesheets and the API docs' assets still come from the application."""
    assert settings.DEBUG is False
    for path in ("/static/css/app.css", "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"".join(response.streaming_content if response.streaming else [response.content])


def _cookie_flags(tmp_path, **variables):
    code = "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    result = manage("shell", "-c", code, tmp_path=tmp_path, DEBUG="false", SECRET_KEY=secrets.token_urlsafe(64),
                    ALLOWED_HOSTS="127.0.0.1", SEALING_MASTER_KEYS=PRODUCTION_KEY, **variables)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1].split()


def test_cookies_are_secure_only_when_the_site_is_served_over_https(tmp_path):
    """Over plain http:// a Secure cookie is never sent back: login and CSRF would always fail."""
    assert _cookie_flags(tmp_path, SITE_URL="https://sad.example.fr") == ["True", "True"]
    assert _cookie_flags(tmp_path, SITE_URL="http://127.0.0.1:8010", SECURE_SSL_REDIRECT="false") == ["False", "False"]
    assert _cookie_flags(tmp_path, SITE_URL="http://127.0.0.1:8010", SECURE_COOKIES="true") == ["True", "True"]


def test_production_without_a_sealing_key_refuses_to_start(tmp_path):
    result = manage("check", tmp_path=tmp_path, DEBUG="false", SECRET_KEY=secrets.token_urlsafe(64),
                    ALLOWED_HOSTS="sad.example.fr")
    assert result.returncode != 0
    assert "SEALING_MASTER_KEYS" in result.stderr


def test_a_malformed_sealing_key_refuses_to_start(tmp_path):
    result = manage("check", tmp_path=tmp_path, SEALING_MASTER_KEYS="c2hvcnQ=")
    assert result.returncode != 0
    assert "32 random bytes" in result.stderr
