"""Staff roles are granted and removed through one door each, and every change is in the audit chain."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from procurement import audit
from procurement.accounts.models import User
from procurement.accounts.services import staff_create_or_update, staff_role_grant, staff_role_revoke
from procurement.errors import ValidationFailed
from procurement.models import AuditEntry

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def user_trail(user):
    return [(e.action, e.details["role"], e.actor, e.reason) for e in audit.history("user", user.id)]


def test_it_records_each_role_granted_with_who_and_why(admin_user):
    user = User.objects.create_user("eval@example.fr", "x")

    assert staff_role_grant(actor=admin_user, user=user, role="evaluator", reason="Commission du 4 mai")
    assert not staff_role_grant(actor=admin_user, user=user, role="evaluator")  # already held: nothing new

    assert user_trail(user) == [("grant-role", "evaluator", admin_user, "Commission du 4 mai")]
    assert User.objects.get(pk=user.pk).roles == ["evaluator"]


def test_it_records_a_role_removed():
    user = staff_create_or_update(email="buyer@example.fr", roles=["buyer", "approver"], password="x-Passw0rd-1")

    assert staff_role_revoke(user=user, role="approver", reason="Départ du service")
    assert not staff_role_revoke(user=user, role="approver", reason="encore")

    assert user_trail(user)[-1] == ("revoke-role", "approver", None, "Départ du service")
    assert User.objects.get(pk=user.pk).roles == ["buyer"]


def test_an_unknown_role_is_refused_and_recorded_nowhere():
    user = User.objects.create_user("x@example.fr", "x")
    with pytest.raises(ValidationFailed):
        staff_role_grant(user=user, role="superuser")
    assert audit.history("user", user.id) == []


def test_a_grant_whose_record_fails_gives_no_role(monkeypatch):
    user = User.objects.create_user("x@example.fr", "x")

    def fail(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(audit, "record", fail)
    with pytest.raises(RuntimeError):
        staff_role_grant(user=user, role="buyer")
    assert User.objects.get(pk=user.pk).roles == []


def test_create_staff_records_the_roles_and_the_back_office_access_it_gives():
    run("create_staff", "chef@example.fr", "--role", "buyer", "--password", "s3cret-Passw0rd", "--admin",
        "--reason", "Arrivée de la cheffe de service")
    user = User.objects.get(email="chef@example.fr")

    assert user_trail(user) == [("grant-role", "back-office-admin", None, "Arrivée de la cheffe de service"),
                                ("grant-role", "buyer", None, "Arrivée de la cheffe de service")]

    run("create_staff", "chef@example.fr", "--role", "buyer", "--role", "approver", "--admin")
    assert user_trail(user)[2:] == [("grant-role", "approver", None, "manage.py create_staff")]


def test_remove_staff_role_takes_the_role_away_with_its_reason():
    run("create_staff", "eval@example.fr", "--role", "evaluator", "--role", "buyer", "--password", "s3cret-Passw0rd")

    output = run("remove_staff_role", "EVAL@example.fr", "--role", "evaluator", "--reason", "Conflit d'intérêts")

    user = User.objects.get(email="eval@example.fr")
    assert "removed evaluator" in output and user.roles == ["buyer"]
    assert user_trail(user)[-1] == ("revoke-role", "evaluator", None, "Conflit d'intérêts")


def test_remove_staff_role_needs_a_known_user_a_known_role_and_a_reason():
    run("create_staff", "eval@example.fr", "--role", "evaluator", "--password", "s3cret-Passw0rd")
    with pytest.raises(CommandError, match="No user"):
        run("remove_staff_role", "nobody@example.fr", "--role", "evaluator", "--reason", "x")
    with pytest.raises(CommandError, match="Rôle inconnu|Unknown"):
        run("remove_staff_role", "eval@example.fr", "--role", "boss", "--reason", "x")
    with pytest.raises(CommandError, match="reason"):
        run("remove_staff_role", "eval@example.fr", "--role", "evaluator", "--reason", " ")
    assert not AuditEntry.objects.filter(action="revoke-role").exists()
