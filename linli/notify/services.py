"""Sending: in-app notifications to users, and outbound messages to phones through the configured channel."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from linli.core.crypto import encrypt, mask_phone
from linli.core.i18n import in_each_language, pick_language
from linli.notify.channels import ChannelError, get_channel
from linli.notify.models import Notification, OutboundMessage, OutboundStatus


def _texts(title, body, texts: dict | None) -> tuple[str, str, dict]:
    """The site's own words for ``title`` and ``body`` (lazy or plain) — or those of ``texts``, already rendered in
    each language — and the words in every language."""
    texts = texts or in_each_language(title=title, body=body)
    own = pick_language(texts, settings.LANGUAGE_CODE)
    return own.get("title", ""), own.get("body", ""), texts


def notification_send(*, recipient, kind: str, title="", body="", texts: dict | None = None, url: str = "",
                      place_path: str = "") -> Notification:
    """Put a notification in ``recipient``'s inbox. Call it inside the transaction of the change it reports.
    ``title`` and ``body`` may be lazy (:func:`linli.core.i18n.lazy_format`): each reader then reads them in their
    own language; ``texts``, instead: the words already rendered in each language (``{lang: {title, body}}``)."""
    title, body, texts = _texts(title, body, texts)
    return Notification.objects.create(recipient=recipient, kind=kind, title=title, body=body, texts=texts, url=url,
                                       place_path=place_path)


def notification_send_many(*, recipients, kind: str, title="", body="", texts: dict | None = None, url: str = "",
                           place_path: str = "") -> int:
    """The same notification to several people, in one insert (the words as for :func:`notification_send`)."""
    title, body, texts = _texts(title, body, texts)
    rows = [Notification(recipient=r, kind=kind, title=title, body=body, texts=texts, url=url, place_path=place_path)
            for r in {r.pk: r for r in recipients}.values()]
    Notification.objects.bulk_create(rows)
    return len(rows)


def notification_mark_read(*, user, notification_ids) -> int:
    from django.utils import timezone

    return Notification.objects.filter(recipient=user, pk__in=notification_ids, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_mark_read_at(*, user, url: str) -> int:
    """Mark read what ``user`` was told about the page at ``url`` — they are looking at it now."""
    from django.utils import timezone

    return Notification.objects.filter(recipient=user, url=url, read_at__isnull=True).update(read_at=timezone.now())


#: Texts whose words are a secret (a sign-in code): the outbox keeps them only with the console channel, where the
#: outbox *is* the delivery (the offline demo). With a real gateway, staff reading the outbox must not be able to sign
#: in as a resident.
SECRET_KINDS = {"sign_in_code"}


def outbound_send(*, to: str, kind: str, body: str, place_path: str = "") -> OutboundMessage:
    """Send a text to a phone through the channel once the current transaction commits; the outbox records it."""
    channel = get_channel()
    kept = str(body) if kind not in SECRET_KINDS or channel.name == "console" else _("(a one-time code, not kept)")
    message = OutboundMessage.objects.create(channel=channel.name, to_encrypted=encrypt(to), to_masked=mask_phone(to),
                                             kind=kind, body=kept, place_path=place_path)

    def deliver():
        try:
            channel.send(to, str(body))
        except ChannelError as exc:
            OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundStatus.FAILED, error=str(exc)[:300])

    transaction.on_commit(deliver)
    return message
