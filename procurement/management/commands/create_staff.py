from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from procurement.accounts.models import STAFF_ROLES, User
from procurement.accounts.services import staff_create_or_update
from procurement.errors import ValidationFailed


class Command(BaseCommand):
    help = (
        "Create a member of the buyer's staff, or update one: adds the given roles "
        f"({', '.join(STAFF_ROLES)}), marks the email verified, sets the password when given. Each role "
        "granted is recorded in the audit trail; remove_staff_role takes one away."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument(
            "--role", dest="roles", action="append", required=True, metavar="ROLE",
            help=f"one of {', '.join(STAFF_ROLES)}; repeat for several roles",
        )
        parser.add_argument("--password", help="required when the user does not exist yet")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--admin", action="store_true",
            help="also give full access to the back office (is_staff and is_superuser)",
        )
        parser.add_argument(
            "--reason", default="",
            help="why the roles are given (kept in the audit trail with each role granted)",
        )

    def handle(self, *args, email, roles, password, first_name, last_name, admin, reason, **options):
        email = email.strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"Not a valid email address: {email!r}")
        unknown = [role for role in roles if role not in STAFF_ROLES]
        if unknown:
            raise CommandError(f"Unknown role {', '.join(unknown)}: choose among {', '.join(STAFF_ROLES)}.")
        exists = User.objects.filter(email__iexact=email).exists()
        if not exists and not password:
            raise CommandError("--password is required to create a user.")
        try:
            user = staff_create_or_update(
                email=email, roles=roles, password=password, first_name=first_name, last_name=last_name,
                admin=admin, reason=reason.strip() or "manage.py create_staff",
            )
        except ValidationFailed as exc:
            raise CommandError(" ".join(exc.messages))
        self.stdout.write(
            f"{'Updated' if exists else 'Created'} {user.email} (roles: {', '.join(user.roles)}"
            f"{'; back-office administrator' if user.is_superuser else ''})"
        )
