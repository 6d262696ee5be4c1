"""``manage.py two_factor_reset <username> --reason "…"``: remove a person's authenticator and recovery codes.

For an operator, after checking in person that the phone and the recovery codes are both lost. At the next sign-in
the person sets up an authenticator again. Audited as ``two_factor.reset`` with the reason."""

from django.core.management.base import BaseCommand, CommandError

from linli.accounts.models import User
from linli.accounts.services import two_factor_reset
from linli.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Remove a user's two-factor authenticator and recovery codes (they enrol again at the next sign-in)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="why (recorded in the audit trail)")

    def handle(self, *args, username, reason, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            had = two_factor_reset(actor=None, user=user, reason=reason)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{username}: two-factor removed; they set it up again at the next sign-in."
                          if had else f"{username} had no authenticator; any unused recovery codes are removed.")
