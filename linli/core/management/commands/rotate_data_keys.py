"""Re-encrypt every stored personal-data field with the newest key of ``LINLI_DATA_KEYS``.

Rotation: generate a key, put it first in ``LINLI_DATA_KEYS`` (keep the old ones after it), run this command, then
drop the old keys. The keyed hashes do not change (they use ``LINLI_HASH_KEY``).
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from linli.accounts.models import TotpDevice
from linli.core import crypto
from linli.notify.models import OutboundMessage
from linli.places.models import Merchant, Resident

#: (model, encrypted fields) for every table holding encrypted personal data.
ENCRYPTED = [
    (Resident, ["id_number_encrypted", "phone_encrypted"]),
    (Merchant, ["contact_phone_encrypted"]),
    (OutboundMessage, ["to_encrypted"]),
    (TotpDevice, ["secret_encrypted"]),
]


class Command(BaseCommand):
    help = "Re-encrypt personal data with the newest data key."

    def handle(self, *args, **options):
        for model, fields in ENCRYPTED:
            done = 0
            batch = []
            with transaction.atomic():
                for obj in model.objects.only("pk", *fields).iterator(chunk_size=2000):
                    for field in fields:
                        setattr(obj, field, crypto.rotate(getattr(obj, field)))
                    batch.append(obj)
                    if len(batch) >= 1000:
                        model.objects.bulk_update(batch, fields)
                        done += len(batch)
                        batch = []
                model.objects.bulk_update(batch, fields)
                done += len(batch)
            self.stdout.write(f"{model._meta.label}: {done} rows re-encrypted")
