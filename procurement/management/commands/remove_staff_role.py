from django.core.management.base import BaseCommand, CommandError

from procurement.accounts.models import STAFF_ROLES, User
from procurement.accounts.services import staff_role_revoke
from procurement.errors import ValidationFailed


class Command(BaseCommand):
    help = (
        f"Take staff roles ({', '.join(STAFF_ROLES)}) away from a member of the buyer's staff; each removal "
        "is recorded in the audit trail with its reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument(
            "--role", dest="roles", action="append", required=True, metavar="ROLE",
            help=f"one of {', '.join(STAFF_ROLES)}; repeat for several roles",
        )
        parser.add_argument("--reason", required=True, help="why the role is taken away (kept in the audit trail)")

    def handle(self, *args, email, roles, reason, **options):
        if not reason.strip():
            raise CommandError("--reason must say why the role is taken away.")
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with the address {email.strip()!r}.")
        removed = []
        try:
            for role in roles:
                if staff_role_revoke(user=user, role=role, reason=reason.strip()):
                    removed.append(role)
        except ValidationFailed as exc:
            raise CommandError(" ".join(exc.messages))
        user = User.objects.get(pk=user.pk)
        self.stdout.write(
            f"{user.email}: removed {', '.join(removed) or 'nothing'} (roles now: {', '.join(user.roles) or 'none'})"
        )
