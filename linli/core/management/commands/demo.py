from django.core.management.base import BaseCommand

from linli.core.demo import credentials_path, ensure_demo


class Command(BaseCommand):
    help = "Load the demo compound and its staff if they are missing; write var/demo-credentials.json."

    def handle(self, *args, **options):
        document = ensure_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo logins (also in {credentials_path()}):"))
        for u in document["users"]:
            self.stdout.write(f"  {u['username']:<10} {u['password']:<16} {u['role']:<20} {u['scope']}")
