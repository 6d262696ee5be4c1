from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "linli.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        post_migrate.connect(_repair_tally, sender=self, dispatch_uid="cases.repair_tally")


def _repair_tally(using="default", **kwargs):
    """Count the open cases' tally again if it says less than nothing somewhere (services.tally_repair).

    Why here: ``manage.py flush`` — and the tests' flush between transactional tests — empties the tables in no set
    order and then sends ``post_migrate``. On SQLite a ``DELETE`` of the cases runs the tally's trigger, so when the
    tally was emptied first it is left with their −1 rows, and the next cases would be counted to nothing."""
    from linli.cases.services.tally import tally_repair

    tally_repair(using=using)
