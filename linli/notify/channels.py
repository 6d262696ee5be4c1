"""Outbound channels. ``LINLI_OUTBOUND_CHANNEL`` names a class with ``send(to, body)``; the console is the default.

An SMS gateway adapter is a class like :class:`ConsoleChannel` that calls the gateway in ``send`` and raises
:class:`ChannelError` on failure.
"""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("linli.outbound")


class ChannelError(Exception):
    pass


class ConsoleChannel:
    """Prints the message (and the outbox table keeps it): offline-friendly, for the demo and tests."""

    name = "console"

    def send(self, to: str, body: str) -> None:
        print(f"[linli outbound] to {to}: {body}", flush=True)  # noqa: T201  (the console is the channel)


def get_channel():
    path = getattr(settings, "LINLI_OUTBOUND_CHANNEL", "linli.notify.channels.ConsoleChannel")
    return import_string(path)()
