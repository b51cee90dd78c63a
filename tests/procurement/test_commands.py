from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from procurement import audit
from procurement.accounts.models import User
from procurement.models import AuditEntry


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- create_staff ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_staff_creates_a_verified_user_with_roles():
    output = run(
        "create_staff", "Acheteur@Example.fr", "--role", "buyer", "--role", "approver",
        "--password", "s3cret-Passw0rd", "--first-name", "Claire", "--last-name", "Dubois",
    )

    user = User.objects.get(email="acheteur@example.fr")
    assert "Created acheteur@example.fr" in output
    assert user.roles == ["approver", "buyer"]
    assert user.check_password("s3cret-Passw0rd")
    assert user.email_verified_at is not None
    assert (user.first_name, user.last_name) == ("Claire", "Dubois")
    assert user.is_staff is False
    assert user.is_superuser is False
    assert set(Group.objects.values_list("name", flat=True)) >= {"buyer", "evaluator", "approver"}


@pytest.mark.django_db
def test_create_staff_updates_an_existing_user():
    run("create_staff", "eval@example.fr", "--role", "evaluator", "--password", "first-Passw0rd")

    output = run("create_staff", "EVAL@example.fr", "--role", "buyer", "--password", "second-Passw0rd")

    user = User.objects.get(email="eval@example.fr")
    assert "Updated eval@example.fr" in output
    assert User.objects.count() == 1
    assert user.roles == ["buyer", "evaluator"]
    assert user.check_password("second-Passw0rd")


@pytest.mark.django_db
def test_create_staff_keeps_the_password_when_none_is_given_on_update():
    run("create_staff", "eval@example.fr", "--role", "evaluator", "--password", "first-Passw0rd")
    run("create_staff", "eval@example.fr", "--role", "approver")
    assert User.objects.get(email="eval@example.fr").check_password("first-Passw0rd")


@pytest.mark.django_db
def test_create_staff_verifies_an_unverified_existing_user():
    User.objects.create_user("later@example.fr", "x")
    run("create_staff", "later@example.fr", "--role", "buyer")
    assert User.objects.get(email="later@example.fr").is_verified


@pytest.mark.django_db
def test_create_staff_admin_flag_opens_the_back_office():
    run("create_staff", "admin@example.fr", "--role", "buyer", "--password", "adm1n-Passw0rd", "--admin")
    user = User.objects.get(email="admin@example.fr")
    assert user.is_staff and user.is_superuser


@pytest.mark.django_db
def test_create_staff_rejects_an_unknown_role():
    with pytest.raises(CommandError, match="Unknown role boss"):
        run("create_staff", "x@example.fr", "--role", "boss", "--password", "pw-Passw0rd")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_create_staff_needs_a_role_and_a_password_for_a_new_user():
    with pytest.raises(CommandError):
        run("create_staff", "x@example.fr", "--password", "pw-Passw0rd")
    with pytest.raises(CommandError, match="--password"):
        run("create_staff", "x@example.fr", "--role", "buyer")
    with pytest.raises(CommandError, match="email"):
        run("create_staff", "not-an-email", "--role", "buyer", "--password", "pw-Passw0rd")
    assert not User.objects.exists()


# --- verify_audit ----------------------------------------------------------------------------------


def _append(n):
    entries = []
    for i in range(n):
        with transaction.atomic():
            entries.append(audit.record(object_type="dps", object_id=str(i), action="publish"))
    return entries


@pytest.mark.django_db
def test_verify_audit_reports_a_valid_chain():
    _append(3)
    from procurement.models import AuditEntry

    assert run("verify_audit").strip().splitlines() == [
        "Audit chain valid: 3 entries", f"Head: {AuditEntry.objects.last().hash}"]


@pytest.mark.django_db
def test_verify_audit_on_an_empty_log():
    assert run("verify_audit").strip().splitlines() == ["Audit chain valid: 0 entries", "Head: " + "0" * 64]


@pytest.mark.django_db
def test_verify_audit_fails_with_the_first_broken_id():
    entries = _append(4)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(AuditEntry._meta.db_table)} SET action = %s WHERE id = %s",
            ["forged", entries[1].id],
        )

    with pytest.raises(CommandError) as excinfo:
        run("verify_audit")

    assert f"entry id {entries[1].id}" in str(excinfo.value)
    assert excinfo.value.returncode == 1
