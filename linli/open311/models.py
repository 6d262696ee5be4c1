"""Open311 API keys (one per client application) and the submissions made with them.

Only the SHA-256 of a key is stored; the key itself is shown once. A key files cases *as* its ``user`` (a staff
account whose scope bounds what the client may read and where it may file), so the audit trail names a person.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from linli.core.models import HashedKey


class Open311Key(HashedKey):
    """An Open311 client application's key (see :class:`linli.core.models.HashedKey`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="open311_keys",
                             verbose_name=_("files as"))

    class Meta:
        verbose_name = _("Open311 key")
        verbose_name_plural = _("Open311 keys")


class Open311Submission(models.Model):
    """A service request received through Open311: its token (for ``tokens/{id}``) and the case it became."""

    key = models.ForeignKey(Open311Key, on_delete=models.PROTECT, related_name="submissions")
    token = models.CharField(max_length=32, unique=True)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    device_id = models.CharField(max_length=100, blank=True)
    account_id = models.CharField(max_length=100, blank=True)
    media_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 submission")
        verbose_name_plural = _("Open311 submissions")

    def __str__(self) -> str:
        return f"{self.token} → {self.case_id}"
