import hashlib
import uuid

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

STAFF_ROLES = ("buyer", "evaluator", "approver")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractUser):
    """A person: a supplier's employee or a member of the buyer's staff; logs in with the email."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = None
    email = models.EmailField(_("adresse e-mail"), unique=True)
    email_verified_at = models.DateTimeField(_("e-mail vérifié le"), null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []
    objects = UserManager()

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self):
        return self.get_full_name() or self.email

    @property
    def roles(self) -> list[str]:
        """Staff roles (groups named after STAFF_ROLES); cached per instance."""
        if not hasattr(self, "_roles_cache"):
            self._roles_cache = sorted(
                name for name in self.groups.values_list("name", flat=True) if name in STAFF_ROLES
            )
        return self._roles_cache

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_procurement_staff(self) -> bool:
        return bool(self.roles)

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None


class ApiToken(models.Model):
    """An API token. Only the SHA-256 of the secret is stored: a copy of the table authenticates no one.

    Each login issues a new one; it expires after ``API_TOKEN_LIFETIME_HOURS``; it is bound to the password
    in force when it was issued (``password_hash``, a keyed hash of the password's own hash, as Django does for
    sessions), so that any change or reset of the password revokes every token at once, whatever the path."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    password_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")

    def __str__(self):
        return f"{self.user_id} ({self.created_at:%Y-%m-%d %H:%M})"

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class TermsAcceptance(models.Model):
    """A person's acceptance of the terms of use and of the privacy notice, in the version then in force
    (``settings.TERMS_VERSION``): recorded at registration, kept as long as the account."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="terms_acceptances")
    version = models.CharField(_("version des conditions"), max_length=40)
    accepted_at = models.DateTimeField(_("acceptées le"))
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("acceptation des conditions d'utilisation")
        verbose_name_plural = _("acceptations des conditions d'utilisation")
        ordering = ["-accepted_at"]

    def __str__(self):
        return f"{self.user_id} {self.version} ({self.accepted_at:%Y-%m-%d %H:%M})"
