"""In-app notifications and the outbound messages (SMS, WeChat…) sent through a pluggable channel."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from linli.core.i18n import pick_language


class Notification(models.Model):
    """Something a signed-in person should see: shown in their inbox until read.

    ``title`` and ``body`` are in the site's own language; ``texts`` holds them in every language of the site
    (``{"en": {"title": …, "body": …}, …}``, :func:`linli.core.i18n.in_each_language`), so that each reader reads
    their own whichever language was active when the message was sent. Older rows have none: they show as sent.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    texts = models.JSONField(_("in each language"), default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True)
    place_path = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def shown_title(self) -> str:
        """The title in the active language (the reader's)."""
        return pick_language(self.texts).get("title") or self.title

    @property
    def shown_body(self) -> str:
        """The body in the active language; an empty one there is empty (not the other language's)."""
        return pick_language(self.texts).get("body", "") if self.texts else self.body


class OutboundStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundMessage(models.Model):
    """A message sent to a phone (or another address) through the configured channel; the outbox keeps every one.

    The console channel (the default) only records and prints the message, so that one-time codes and reminders
    work offline in the demo; the outbox page shows them.
    """

    channel = models.CharField(max_length=32)
    to_encrypted = models.TextField()  # a phone number is personal data: encrypted at rest, masked for display
    to_masked = models.CharField(_("to"), max_length=64)
    kind = models.CharField(_("kind"), max_length=64)
    body = models.TextField(_("text"))
    status = models.CharField(max_length=16, choices=OutboundStatus.choices, default=OutboundStatus.SENT)
    error = models.CharField(max_length=300, blank=True)
    place_path = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to_masked}"
