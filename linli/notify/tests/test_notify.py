"""Inbox and outbox: each person sees their own notifications; the outbox is scoped like everything else."""

import pytest
from django.urls import reverse

from linli.notify.models import OutboundMessage
from linli.notify.services import notification_send, outbound_send
from linli.places.tests.factories import unit_in

pytestmark = pytest.mark.django_db


def test_inbox_shows_own_notifications_only(client_for, grid1, grid2):
    notification_send(recipient=grid1, kind="test", title="给网格员一的通知")
    notification_send(recipient=grid2, kind="test", title="给网格员二的通知")
    html = client_for(grid1).get(reverse("notify:inbox")).content.decode()
    assert "给网格员一的通知" in html and "给网格员二的通知" not in html
    client_for(grid1).post(reverse("notify:mark_read"), {"all": "1"})
    assert grid1.notifications.filter(read_at__isnull=True).count() == 0
    assert grid2.notifications.filter(read_at__isnull=True).count() == 1


def test_outbox_is_scoped_and_masks_the_phone(client_for, grid1, grid2, demo, django_capture_on_commit_callbacks,
                                              capsys):
    unit = unit_in(demo, "2")
    with django_capture_on_commit_callbacks(execute=True):
        outbound_send(to="13912345678", kind="sign_in_code", body="验证码 123456", place_path=unit.path)
    assert "13912345678" in capsys.readouterr().out  # the console channel "sent" it
    message = OutboundMessage.objects.get()
    assert "13912345678" not in message.to_encrypted
    mine = client_for(grid1).get(reverse("notify:outbox")).content.decode()
    assert "139****5678" in mine and "13912345678" not in mine
    theirs = client_for(grid2).get(reverse("notify:outbox")).content.decode()
    assert "139****5678" not in theirs


def test_anonymous_is_sent_to_sign_in(client):
    for name in ("notify:inbox", "notify:outbox"):
        assert client.get(reverse(name)).status_code == 302


class RecordingChannel:
    """A stand-in SMS gateway: a real channel name, the texts kept in memory."""

    name = "sms"
    sent: list = []

    def send(self, to, body):
        RecordingChannel.sent.append((to, body))


def test_a_real_channel_delivers_sign_in_codes_but_the_outbox_does_not_keep_them(
        settings, django_capture_on_commit_callbacks):
    settings.LINLI_OUTBOUND_CHANNEL = "linli.notify.tests.test_notify.RecordingChannel"
    with django_capture_on_commit_callbacks(execute=True):
        outbound_send(to="13912345678", kind="sign_in_code", body="验证码 654321")
        outbound_send(to="13912345678", kind="case_update", body="您的诉求已办结")
    assert ("13912345678", "验证码 654321") in RecordingChannel.sent
    kept = dict(OutboundMessage.objects.values_list("kind", "body"))
    assert "654321" not in kept["sign_in_code"]
    assert kept["case_update"] == "您的诉求已办结"
