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


def _branch_secretary_elsewhere(demo):
    """The branch secretary of a second compound of the demo's community: the same role, another scope."""
    from linli.accounts.models import Role
    from linli.accounts.services import role_grant, user_create
    from linli.places.models import PlaceKind
    from linli.places.services import place_create

    other = place_create(actor=None, parent=demo.parent, kind=PlaceKind.COMPOUND, code="OTHER", name="别的小区")
    user = user_create(actor=None, username="other_branch", password="a-long-test-password-1")
    role_grant(actor=None, user=user, role=Role.BRANCH_SECRETARY, place=other)
    return user


def test_outbox_is_scoped_and_masks_the_phone(client_for, branch, demo, django_capture_on_commit_callbacks,
                                              capsys):
    unit = unit_in(demo, "2")
    with django_capture_on_commit_callbacks(execute=True):
        outbound_send(to="13912345678", kind="sign_in_code", body="验证码 123456", place_path=unit.path)
    assert "13912345678" in capsys.readouterr().out  # the console channel "sent" it
    message = OutboundMessage.objects.get()
    assert "13912345678" not in message.to_encrypted
    mine = client_for(branch).get(reverse("notify:outbox")).content.decode()
    assert "139****5678" in mine and "13912345678" not in mine
    theirs = client_for(_branch_secretary_elsewhere(demo)).get(reverse("notify:outbox"))
    assert theirs.status_code == 200 and "139****5678" not in theirs.content.decode()


def test_outbox_is_only_for_the_roles_that_may_read_sign_in_codes(client_for, grid1, grid2, branch, secretary):
    """Whoever reads a sign-in code can sign in as the resident: grid workers (and every role without
    ``read_outbox``) get 403."""
    for user in (grid1, grid2):
        assert client_for(user).get(reverse("notify:outbox")).status_code == 403
    for user in (branch, secretary):
        assert client_for(user).get(reverse("notify:outbox")).status_code == 200


def test_outbox_page_does_not_exist_with_a_real_channel(settings, client_for, secretary):
    settings.LINLI_OUTBOUND_CHANNEL = "linli.notify.tests.test_notify.RecordingChannel"
    assert client_for(secretary).get(reverse("notify:outbox")).status_code == 404


def test_marking_read_touches_only_ones_own_notifications(client_for, grid1, grid2):
    theirs = notification_send(recipient=grid2, kind="test", title="给网格员二的通知")
    client_for(grid1).post(reverse("notify:mark_read"), {"id": [theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.read_at is None


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
