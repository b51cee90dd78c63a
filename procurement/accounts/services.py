"""Registration, email verification, API tokens and staff accounts."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_ipv46_address
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from procurement import audit, clock
from procurement.errors import ValidationFailed
from procurement.notifications import notify

from .models import STAFF_ROLES, ApiToken, TermsAcceptance, User

_VERIFY_SALT = "accounts.verify-email"


def verification_token(user: User) -> str:
    """A signed token derived from the user's id and email: nothing is stored, it expires by itself."""
    return signing.dumps({"u": str(user.id), "e": user.email}, salt=_VERIFY_SALT, compress=True)


def verification_url(user: User) -> str:
    return settings.SITE_URL + reverse("accounts:verify", args=[verification_token(user)])


def _send_verification(user: User, *, attempt: str) -> None:
    notify(
        key=f"verify-email:{user.id}:{attempt}",
        to=user.email,
        template="verify_email",
        context={"user": user, "url": verification_url(user)},
        one_time_link=True,
    )


@transaction.atomic
def user_register(*, email: str, password: str, first_name: str = "", last_name: str = "",
                  accept_terms: bool = False, terms_required: bool = True,
                  ip_address: str | None = None) -> User:
    """Create an account, record its acceptance of the terms of use and privacy notice in force, and mail its
    verification link.

    The answer is the same whether or not the address already has an account, so that registration cannot
    tell who is registered: for a known address nothing is created, its owner is mailed instead (with the
    login and password-reset links), and an unsaved ``User`` with a random id is returned.

    The registration page always asks for the acceptance (``terms_required``). The API's contract registers
    with ``{email, password, first_name, last_name}``: there ``accept_terms`` is recorded when given and
    not required."""
    email = User.objects.normalize_email(email or "").strip().lower()
    errors: dict[str, list[str]] = {}
    if terms_required and not accept_terms:
        errors["accept_terms"] = [_terms_refused()]
    if not email:
        errors["email"] = [_("L'adresse e-mail est obligatoire.")]
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Adresse e-mail invalide.")]
    candidate = User(email=email, first_name=first_name, last_name=last_name)
    try:
        password_validation.validate_password(password or "", candidate)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationFailed(errors)
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        notify(key=f"account-exists:{existing.id}:{timezone.now():%Y%m%d%H%M%S%f}", to=existing.email,
               template="account_exists", context={
                   "user": existing, "login_url": settings.SITE_URL + reverse("accounts:login"),
                   "reset_url": settings.SITE_URL + reverse("accounts:password_reset")})
        return candidate
    user = User.objects.create_user(email=email, password=password, first_name=first_name, last_name=last_name)
    if accept_terms:
        terms_accept(user=user, ip_address=ip_address)
    _send_verification(user, attempt="1")
    return user


def _terms_refused() -> str:
    return _("Acceptez les conditions générales d'utilisation pour utiliser la plateforme.")


def terms_accept(*, user: User, accepted: bool = True, ip_address: str | None = None) -> TermsAcceptance:
    """Record that ``user`` accepts the terms of use and has read the privacy notice, in the version in force.

    The acceptance must be explicit (``accepted``: the ticked box). Accepting a version already accepted
    records nothing new (a form sent twice) and returns the acceptance on record."""
    if not accepted:
        raise ValidationFailed({"accept_terms": [_terms_refused()]})
    try:
        validate_ipv46_address(ip_address or "")
    except ValidationError:
        ip_address = None  # "unknown" or a malformed forwarded address: the acceptance stands without it
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # two submissions at once: one record
        existing = TermsAcceptance.objects.filter(user=user, version=settings.TERMS_VERSION).first()
        if existing is not None:
            return existing
        acceptance = TermsAcceptance.objects.create(user=user, version=settings.TERMS_VERSION,
                                                    accepted_at=clock.now(), ip_address=ip_address)
        audit.record(obj=user, object_type="user", action="accept-terms", actor=user,
                     details={"version": acceptance.version, "email": user.email})
    return acceptance


# --- the person's own account ------------------------------------------------------------------------------


@transaction.atomic
def user_profile_update(*, user: User, first_name: str, last_name: str) -> User:
    """The person's own name. Both parts are required: they sign letters and appear in the audit trail."""
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    errors = {}
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if not value:
            errors[field] = [_("Ce champ est obligatoire.")]
        elif len(value) > 150:
            errors[field] = [_("150 caractères au plus.")]
    if errors:
        raise ValidationFailed(errors)
    user = User.objects.select_for_update().get(pk=user.pk)
    before = {"first_name": user.first_name, "last_name": user.last_name}
    after = {"first_name": first_name, "last_name": last_name}
    changed = audit.changes(before, after)
    if changed:
        user.first_name, user.last_name = first_name, last_name
        user.save(update_fields=["first_name", "last_name"])
        audit.record(obj=user, object_type="user", action="update", actor=user, details=changed)
    return user


@transaction.atomic
def user_password_change(*, user: User, password: str) -> User:
    """Set a new password that the person chose (``PasswordChangeForm`` has checked the old one, the
    confirmation and the password rules). Every API token issued under the old password stops working (they
    are bound to it); the record says that it changed, never what it is."""
    user = User.objects.select_for_update().get(pk=user.pk)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(obj=user, object_type="user", action="change-password", actor=user, details={"email": user.email})
    return user


@transaction.atomic
def user_resend_verification(*, user: User) -> None:
    if user.is_verified:
        return
    _send_verification(user, attempt=timezone.now().strftime("%Y%m%d%H%M"))


@transaction.atomic
def user_verify_email(*, token: str) -> User:
    try:
        data = signing.loads(token, salt=_VERIFY_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT)
        user = User.objects.select_for_update().get(id=data["u"], email=data["e"])
    except signing.SignatureExpired:
        raise ValidationFailed({"token": [_("Ce lien de vérification a expiré : demandez-en un nouveau.")]})
    except (signing.BadSignature, User.DoesNotExist, KeyError, ValueError, ValidationError):
        raise ValidationFailed({"token": [_("Ce lien de vérification n'est pas valide.")]})
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


@transaction.atomic
def staff_create_or_update(*, email: str, roles: list[str], password: str | None = None, first_name: str = "",
                           last_name: str = "", admin: bool = False, actor=None, reason: str = "") -> User:
    """Create a member of the buyer's staff or update one; each role newly given is recorded (``actor``:
    who gives it, the system when run from the command line)."""
    unknown = sorted(set(roles) - set(STAFF_ROLES))
    if unknown:
        raise ValidationFailed({"roles": [
            _("Rôle inconnu : %(role)s. Rôles possibles : %(roles)s.") % {"role": r, "roles": ", ".join(STAFF_ROLES)}
            for r in unknown]})
    email = User.objects.normalize_email(email).lower()
    user, _created = User.objects.get_or_create(email=email, defaults={"first_name": first_name, "last_name": last_name})
    if first_name:
        user.first_name = first_name
    if last_name:
        user.last_name = last_name
    if password:
        user.set_password(password)
    user.email_verified_at = user.email_verified_at or timezone.now()
    became_admin = admin and not user.is_superuser
    user.is_staff = admin or user.is_staff
    user.is_superuser = admin or user.is_superuser
    user.save()
    if became_admin:
        audit.record(obj=user, object_type="user", action="grant-role", actor=actor, reason=reason,
                     details={"role": BACK_OFFICE_ADMIN, "email": user.email})
    for role in STAFF_ROLES:
        Group.objects.get_or_create(name=role)
    for role in roles:
        staff_role_grant(actor=actor, user=user, role=role, reason=reason)
    return user


# The back office (Django admin) is not a staff role, but being given it is recorded like one.
BACK_OFFICE_ADMIN = "back-office-admin"


def _staff_group(role: str) -> Group:
    if role not in STAFF_ROLES:
        raise ValidationFailed({"role": [
            _("Rôle inconnu : %(role)s. Rôles possibles : %(roles)s.") % {"role": role, "roles": ", ".join(STAFF_ROLES)}]})
    return Group.objects.get_or_create(name=role)[0]


@transaction.atomic
def staff_role_grant(*, actor=None, user: User, role: str, reason: str = "") -> bool:
    """Give ``user`` a staff role (buyer, evaluator, approver): the one door, recorded in the audit chain.
    Returns False (and records nothing) when the user already has it."""
    group = _staff_group(role)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.groups.filter(pk=group.pk).exists():
        return False
    user.groups.add(group)
    audit.record(obj=user, object_type="user", action="grant-role", actor=actor, reason=reason,
                 details={"role": role, "email": user.email})
    return True


@transaction.atomic
def staff_role_revoke(*, actor=None, user: User, role: str, reason: str = "") -> bool:
    """Take a staff role away, recorded in the audit chain. Returns False when the user did not have it."""
    group = _staff_group(role)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.groups.filter(pk=group.pk).exists():
        return False
    user.groups.remove(group)
    audit.record(obj=user, object_type="user", action="revoke-role", actor=actor, reason=reason,
                 details={"role": role, "email": user.email})
    return True


# --- API tokens ------------------------------------------------------------------------------------------


@transaction.atomic
def api_token_issue(*, user: User) -> tuple[str, ApiToken]:
    """A new API token for ``user`` (one per login): returns the secret, shown once and never stored, and its
    record. The user's tokens that can no longer authenticate (expired, or issued under an earlier password)
    are removed on the way."""
    now = timezone.now()
    current = user.get_session_auth_hash()
    ApiToken.objects.filter(Q(user=user) & (Q(expires_at__lte=now) | ~Q(password_hash=current))).delete()
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, digest=ApiToken.digest_of(key), password_hash=current, created_at=now,
        expires_at=now + dt.timedelta(hours=settings.API_TOKEN_LIFETIME_HOURS))
    return key, token


def api_token_revoke(*, token: ApiToken) -> None:
    """Log out one API client: its token stops working at once."""
    ApiToken.objects.filter(pk=token.pk).delete()
