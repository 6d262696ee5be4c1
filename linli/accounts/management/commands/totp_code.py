"""``manage.py totp_code <username>``: the current two-factor code of a demo account, so that the demo can be walked
through without an authenticator app.

Only for a device holding the demo's *published* secret (``linli.accounts.demo.demo_totp_secret``: derived from the
username, printed in ``var/demo-credentials.json``): anyone can compute those codes already, so printing one gives
nothing away. Any other device — a real person's, or a demo user who enrolled their own app — is refused. It does
not depend on DEBUG: the laptop demo runs with DEBUG off, and whoever can run this command can read the data keys
and the database anyway; what keeps it harmless is that it never touches a secret that is not public.

The code goes to standard output alone (``$(manage.py totp_code branch)``); the explanation to standard error.
"""

import datetime as dt

import pyotp
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from linli.accounts.demo import demo_totp_secret, is_demo_device
from linli.accounts.models import TotpDevice, User


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo account (only for devices holding the demo's secret)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username).first()
        device = TotpDevice.objects.filter(user=user).select_related("user").first() if user else None
        if device is None or device.confirmed_at is None:
            raise CommandError(f"{username}: no demo account with two-factor sign-in by that name.")
        if not is_demo_device(device):
            raise CommandError(f"{username}: this authenticator is not the demo's (its secret is not the published "
                               "demo secret); its codes are only on the owner's phone.")
        totp = pyotp.TOTP(demo_totp_secret(username))
        now = timezone.now()
        left = 30 - int(now.timestamp()) % 30  # seconds left in this 30-second step
        at, note = now, ""
        if totp.timecode(now) <= device.last_used_step:
            # This step's code was used already (each is accepted once); sign-in also takes the next step's code.
            at, left = now + dt.timedelta(seconds=30), left + 30
            note = " (the current one was used already: this is the next one)"
        self.stdout.write(totp.at(at))
        self.stderr.write(f"Two-factor code for {username}, good for about {left} seconds{note}.")
