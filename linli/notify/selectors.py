"""Reads for notifications: a user sees their own inbox; the outbox is staff-only and scoped by place."""

from linli.core.scope import scope_q
from linli.notify.models import Notification, OutboundMessage


def notification_list(*, user, unread_only: bool = False):
    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs


def unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def outbox_list(*, user):
    """Outbound messages about places in the user's scope (codes for residents of their compound, reminders)."""
    return OutboundMessage.objects.filter(scope_q(user, "place_path"))
