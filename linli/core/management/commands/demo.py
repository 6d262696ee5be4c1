from django.core.management.base import BaseCommand

from linli.core.demo import credentials_path, ensure_demo


class Command(BaseCommand):
    help = "Load the demo compound and its staff if they are missing; write var/demo-credentials.json."

    def handle(self, *args, **options):
        document = ensure_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo logins (also in {credentials_path()}):"))
        for u in document["users"]:
            two_factor = "  + two-factor code" if u.get("totp_secret") else ""
            self.stdout.write(f"  {u['username']:<12} {u['password']:<16} {u['role']:<20} {u['scope']}{two_factor}")
        if any(u.get("totp_secret") for u in document["users"]):
            self.stdout.write("Roles that may reveal personal data sign in with a two-factor code after the password. "
                              "Print the current code with:")
            self.stdout.write("  python manage.py totp_code <username>")
            self.stdout.write("or add the user's totp_secret from the credentials file to an authenticator app.")
        if document.get("residents"):
            self.stdout.write("Residents sign in on a phone at /me/sign-in/ (codes show in the console and outbox):")
            for r in document["residents"]:
                code = r["invitation_code"]
                self.stdout.write(f"  {r['name']:<6} {r['phone']}  {r['unit']:<12} invitation code {code}")
        if document.get("open311_api_key"):
            self.stdout.write(f"Open311 API key: {document['open311_api_key']}")
