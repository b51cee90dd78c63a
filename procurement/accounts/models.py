import uuid

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
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
