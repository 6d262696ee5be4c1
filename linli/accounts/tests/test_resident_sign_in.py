"""Residents' own accounts: sign-in by phone code, household invitations, rate limits, no enumeration."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.accounts import services
from linli.accounts.models import InvitationCode, LinkMethod, ResidentLink, SignInCode, User
from linli.core.crypto import keyed_hash
from linli.core.errors import ApplicationError
from linli.core.models import AuditEvent
from linli.notify.models import OutboundMessage

pytestmark = pytest.mark.django_db


def _code_sent_to(phone: str) -> str:
    from linli.core.crypto import decrypt

    for message in OutboundMessage.objects.filter(kind="sign_in_code").order_by("-id"):
        if decrypt(message.to_encrypted) == phone:
            return re.search(r"\b(\d{6})\b", message.body).group(1)
    raise AssertionError("no code was sent")


def test_phone_sign_in_end_to_end(client, resident_a, phone_of, django_capture_on_commit_callbacks):
    phone = phone_of(resident_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("me:sign_in"), {"phone": phone})
    assert response.status_code == 302 and response.url == reverse("me:sign_in_code")
    # The session keeps the keyed hash and the masked number, never the number.
    assert phone not in str(dict(client.session))
    code = _code_sent_to(phone)
    response = client.post(reverse("me:sign_in_code"), {"code": code})
    assert response.status_code == 302 and response.url == reverse("me:home")
    user = User.objects.get(username=f"r{resident_a.pk}")
    assert user.is_resident and not user.has_usable_password()
    assert ResidentLink.objects.get(user=user).resident == resident_a
    html = client.get(reverse("me:home")).content.decode()
    assert resident_a.name in html and resident_a.unit.name in html
    # The way to their reports is called what the page it opens is called.
    assert f'href="{reverse("mycases:list")}">我的反映</a>' in html
    assert "<h1" in (listed := client.get(reverse("mycases:list")).content.decode()) and "我的反映" in listed
    assert AuditEvent.objects.filter(action="sign_in.succeeded", actor=user, data__method="phone_code").exists()
    # A code is used once.
    client.logout()
    with pytest.raises(ApplicationError):
        services.signin_code_verify(phone_hash=keyed_hash(phone), code=code)


def test_a_link_to_a_residents_page_goes_through_the_phone_sign_in_and_back(client, resident_a, phone_of,
                                                                           django_capture_on_commit_callbacks):
    target = reverse("mymessages:list")
    response = client.get(target)  # a link in a text message, signed out
    assert response.status_code == 302 and response.url == f"{reverse('me:sign_in')}?next={target}"
    assert "/accounts/login/" not in response.url  # not the staff's password page
    client.get(response.url)
    phone = phone_of(resident_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("me:sign_in"), {"phone": phone})
    response = client.post(reverse("me:sign_in_code"), {"code": _code_sent_to(phone)})
    assert response.status_code == 302 and response.url == target  # back where they were going
    # Somewhere that is not theirs to be sent to is ignored.
    client.logout()
    client.get(f"{reverse('me:sign_in')}?next=https://evil.example/me/")
    assert client.session.get("linli_signin_next") is None
    staff_login = client.get(f"{reverse('accounts:login')}?next={target}").content.decode()
    assert f'href="{reverse("me:sign_in")}?next={target}"' in staff_login


def test_unknown_phone_gets_the_same_answer_and_no_text(client, demo):
    before = OutboundMessage.objects.count()
    response = client.post(reverse("me:sign_in"), {"phone": "19900000001"})
    assert response.status_code == 302 and response.url == reverse("me:sign_in_code")
    assert OutboundMessage.objects.count() == before
    page = client.get(reverse("me:sign_in_code")).content.decode()
    assert "199****0001" in page
    assert client.post(reverse("me:sign_in_code"), {"code": "000000"}).status_code == 400


def test_bad_phone_names_the_field(client, demo):
    response = client.post(reverse("me:sign_in"), {"phone": "12345"})
    assert response.status_code == 400
    assert 'id="phone-error"' in response.content.decode()


def test_one_code_a_minute_and_five_an_hour(resident_a, phone_of):
    phone = phone_of(resident_a)
    services.signin_code_request(phone=phone)
    with pytest.raises(ApplicationError) as exc:
        services.signin_code_request(phone=phone)
    assert exc.value.field == "phone" and exc.value.code == "rate_limited"
    # Age the codes past the minute: four more are allowed in the hour, not a fifth.
    for _i in range(4):
        SignInCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
        services.signin_code_request(phone=phone)
    SignInCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    with pytest.raises(ApplicationError):
        services.signin_code_request(phone=phone)
    # An hour later it works again.
    SignInCode.objects.update(created_at=timezone.now() - dt.timedelta(hours=2))
    services.signin_code_request(phone=phone)


def test_five_wrong_tries_kill_a_code_and_codes_expire(resident_a, phone_of, django_capture_on_commit_callbacks):
    phone = phone_of(resident_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.signin_code_request(phone=phone)
    code = _code_sent_to(phone)
    wrong = "000000" if code != "000000" else "111111"
    for _i in range(5):
        with pytest.raises(ApplicationError):
            services.signin_code_verify(phone_hash=keyed_hash(phone), code=wrong)
    with pytest.raises(ApplicationError, match="(?i)too many|过多"):
        services.signin_code_verify(phone_hash=keyed_hash(phone), code=code)
    # A fresh code, expired: refused.
    SignInCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        services.signin_code_request(phone=phone)
    code = _code_sent_to(phone)
    SignInCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(ApplicationError):
        services.signin_code_verify(phone_hash=keyed_hash(phone), code=code)


def test_invitation_claim_links_the_matching_resident(client, resident_b, phone_of):
    # resident_b (building 7) has no account in the demo; resident_a's was made by phone.
    invitation = InvitationCode.objects.get(unit=resident_b.unit, used_at__isnull=True, revoked_at__isnull=True)
    assert len(invitation.code) == 8 and not set(invitation.code) & set("01OIL")
    response = client.post(reverse("me:claim"), {"code": invitation.code.lower(), "phone": phone_of(resident_b)})
    assert response.status_code == 302 and response.url == reverse("me:home")
    link = ResidentLink.objects.get(resident=resident_b)
    assert link.method == LinkMethod.INVITATION
    invitation.refresh_from_db()
    assert invitation.used_at is not None and invitation.used_by == link.user
    # Used once: the household is told to sign in by text instead; anyone else learns nothing new.
    client.logout()
    response = client.post(reverse("me:claim"), {"code": invitation.code, "phone": phone_of(resident_b)})
    assert response.status_code == 400 and "已经用过了" in response.content.decode()
    stranger = client.post(reverse("me:claim"), {"code": invitation.code, "phone": "13900009999"}).content.decode()
    assert "已经用过了" not in stranger


def test_invitation_with_a_phone_of_another_unit_is_refused(client, resident_a, resident_b, phone_of):
    invitation = InvitationCode.objects.get(unit=resident_b.unit, used_at__isnull=True, revoked_at__isnull=True)
    response = client.post(reverse("me:claim"), {"code": invitation.code, "phone": phone_of(resident_a)})
    assert response.status_code == 400
    assert 'data-testid="error"' in response.content.decode()
    assert not ResidentLink.objects.filter(resident=resident_b).exists()
    invitation.refresh_from_db()
    assert invitation.used_at is None


def test_invitation_claims_are_rate_limited_per_address(client, resident_b, phone_of):
    for _i in range(services.CLAIM_FAILURES_PER_ADDRESS):
        client.post(reverse("me:claim"), {"code": "ABCDEFGH", "phone": "19900000001"})
    invitation = InvitationCode.objects.get(unit=resident_b.unit, used_at__isnull=True, revoked_at__isnull=True)
    response = client.post(reverse("me:claim"), {"code": invitation.code, "phone": phone_of(resident_b)})
    assert response.status_code == 400
    assert not ResidentLink.objects.filter(resident=resident_b).exists()


def test_tenant_sees_their_tenancy_not_the_owners_earlier_household(client, demo, resident_user):
    from linli.places.models import Occupancy, Resident

    tenant = (Resident.objects.filter(unit__compound=demo, is_current=True, household__occupancy=Occupancy.RENTED)
              .exclude(phone_encrypted="").order_by("id").first())
    earlier = (Resident.objects.filter(unit=tenant.unit).exclude(household=tenant.household).order_by("id").first())
    client.force_login(resident_user(tenant))
    html = client.get(reverse("me:home")).content.decode()
    assert tenant.name in html
    if earlier is not None:
        assert earlier.name not in html
    for member in Resident.objects.filter(household=tenant.household):
        assert member.name in html


def test_asking_again_within_the_minute_leads_back_to_the_code(client, resident_a, phone_of):
    phone = phone_of(resident_a)
    client.post(reverse("me:sign_in"), {"phone": phone})
    again = client.post(reverse("me:sign_in"), {"phone": phone})  # back to the first step, asked again
    html = again.content.decode()
    assert again.status_code == 400 and 'data-testid="enter-code"' in html
    assert reverse("me:sign_in_code") in html
    # Another browser asking for the same number is told to wait, and offered nothing more.
    from django.test import Client

    other = Client().post(reverse("me:sign_in"), {"phone": phone}).content.decode()
    assert 'data-testid="enter-code"' not in other
