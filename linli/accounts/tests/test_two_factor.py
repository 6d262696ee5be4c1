"""Two-factor sign-in (TOTP), required for roles that may reveal personal data — tested through the real sign-in
forms, never a forced login: the password step, then the code (or the enrolment) before anything else opens."""

import datetime as dt
import io

import pyotp
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from linli.accounts.models import Role, SignInAttempt, TotpDevice
from linli.accounts.permissions import TWO_FACTOR_SESSION_KEY
from linli.core import crypto
from linli.core.models import AuditEvent
from linli.places.tests.factories import resident_in

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-1"


def _sign_in(client, username, password=PASSWORD, **extra):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, **extra)


def _codes(page: str) -> list[str]:
    """The recovery codes listed on a page."""
    import re

    block = page.split('data-testid="recovery-codes"')[1].split("</ol>")[0]
    return re.findall(r"<li[^>]*>([A-Z0-9]{4}-[A-Z0-9]{4})</li>", block)


def _verify(client, code, next_url="/"):
    return client.post(reverse("accounts:two_factor_verify"), {"code": code, "next": next_url})


@pytest.fixture
def branch_secretary(staff_user):
    """A branch secretary of the demo compound (may reveal personal data) with no authenticator yet."""
    return staff_user(Role.BRANCH_SECRETARY, "t_branch")


@pytest.fixture
def grid_worker(demo):
    """A grid worker of grid 1 (may not reveal), with no authenticator."""
    from linli.accounts.services import role_grant, user_create
    from linli.places.models import Grid

    user = user_create(actor=None, username="t_grid", password=PASSWORD)
    role_grant(actor=None, user=user, role=Role.GRID_WORKER, place=demo,
               grid=Grid.objects.get(compound=demo, number=1))
    return user


def test_a_role_that_may_reveal_gives_a_code_before_any_page_opens(client, branch_secretary, totp_for, demo):
    totp = totp_for(branch_secretary)
    response = _sign_in(client, "t_branch")
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:two_factor_verify"))
    # Signed in by password alone, nothing opens: pages send to the code step (and come back), HTMX is told to go
    # there, the API answers 403 in its error shape, a reveal gets nothing.
    response = client.get(reverse("places:residents"))
    assert response.status_code == 302
    assert response.url == reverse("accounts:two_factor_verify") + "?next=%2Fplaces%2Fresidents%2F"
    response = client.get(reverse("places:residents"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == reverse("accounts:two_factor_verify")
    response = client.get("/api/v1/residents/")
    assert response.status_code == 403 and response.json()["code"] == "two_factor_required"
    resident = resident_in(demo, "2")
    response = client.post(reverse("places:resident_reveal", args=[resident.pk]))
    assert response.status_code == 302 and crypto.decrypt(resident.phone_encrypted) not in response.content.decode()
    assert not AuditEvent.objects.filter(action="personal_data.revealed").exists()
    # The code page offers no way round it (only signing out).
    page = client.get(reverse("accounts:two_factor_verify")).content.decode()
    assert 'data-testid="two-factor-required"' in page and "Later" not in page and "以后再说" not in page
    # …and its header shows no menu whose links would only bounce back here (signing out stays).
    assert reverse("places:residents") not in page and reverse("cases:queue") not in page
    assert reverse("accounts:logout") in page
    # A wrong code is refused and recorded; the right one opens the page asked for, in a new session key.
    assert _verify(client, "000000").status_code == 200
    assert AuditEvent.objects.filter(action="two_factor.failed", actor=branch_secretary).exists()
    key_before = client.session.session_key
    response = _verify(client, totp.now(), next_url="/places/residents/")
    assert response.status_code == 302 and response.url == "/places/residents/"
    assert client.session.session_key != key_before and client.session[TWO_FACTOR_SESSION_KEY]
    assert AuditEvent.objects.filter(action="two_factor.verified", actor=branch_secretary).exists()
    page = client.get(reverse("places:residents"))
    assert page.status_code == 200 and reverse("cases:queue") in page.content.decode()  # the menu is back
    response = client.post(reverse("places:resident_reveal", args=[resident.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and crypto.decrypt(resident.phone_encrypted) in response.content.decode()


def test_without_an_authenticator_the_role_is_sent_to_enrol_and_nothing_else(client, branch_secretary):
    response = _sign_in(client, "t_branch")
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:two_factor") + "?")
    for url in [reverse("overview:home"), reverse("places:residents"), reverse("audit:list"),
                reverse("accounts:two_factor_verify")]:
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0].startswith(reverse("accounts:two_factor")), url
        assert 'data-testid="totp-secret"' in response.content.decode()
    page = client.get(reverse("accounts:two_factor")).content.decode()
    assert "<svg" in page and 'data-testid="two-factor-required"' in page  # the QR code, and why
    device = TotpDevice.objects.get(user=branch_secretary)
    assert device.confirmed_at is None
    secret = crypto.decrypt(device.secret_encrypted)
    assert secret in page and secret not in device.secret_encrypted  # shown to enrol, encrypted at rest
    assert client.post(reverse("accounts:two_factor"), {"code": "000000"}).status_code == 200
    assert client.get(reverse("places:residents")).status_code == 302  # still closed
    response = client.post(reverse("accounts:two_factor"), {"code": pyotp.TOTP(secret).now(),
                                                            "next": "/places/residents/"})
    # On: the recovery codes are shown this once, then the way on to the page asked for.
    page = response.content.decode()
    assert response.status_code == 200 and len(_codes(page)) == 10 and 'href="/places/residents/"' in page
    assert "no-store" in response["Cache-Control"]
    device.refresh_from_db()
    assert device.confirmed_at is not None
    assert AuditEvent.objects.filter(action="two_factor.enrolled", actor=branch_secretary).exists()
    assert client.get(reverse("places:residents")).status_code == 200
    # The next sign-in asks for a code.
    client.logout()
    assert _sign_in(client, "t_branch").url.startswith(reverse("accounts:two_factor_verify"))


def test_a_role_granted_to_someone_signed_in_takes_effect_at_their_next_request(client, grid_worker, demo):
    from linli.accounts.services import role_grant

    response = _sign_in(client, "t_grid")
    assert response.status_code == 302 and response.url == reverse("overview:home")  # no reveal, no authenticator
    assert client.get(reverse("places:residents")).status_code == 200
    role_grant(actor=None, user=grid_worker, role=Role.COMMUNITY_SECRETARY, place=demo.parent)
    response = client.get(reverse("places:residents"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:two_factor"))


def test_two_factor_once_turned_on_cannot_be_skipped_whatever_the_role(client, grid_worker, totp_for):
    totp = totp_for(grid_worker)
    assert _sign_in(client, "t_grid").url.startswith(reverse("accounts:two_factor_verify"))
    assert client.get(reverse("places:residents")).url.startswith(reverse("accounts:two_factor_verify"))
    assert _verify(client, totp.now()).status_code == 302
    assert client.get(reverse("places:residents")).status_code == 200


def test_a_code_is_accepted_once(client, branch_secretary, totp_for):
    from linli.accounts.services import totp_check
    from linli.core.errors import ApplicationError

    totp = totp_for(branch_secretary)
    _sign_in(client, "t_branch")
    code = totp.now()
    assert _verify(client, code).status_code == 302
    with pytest.raises(ApplicationError):
        totp_check(user=branch_secretary, code=code)
    assert AuditEvent.objects.filter(action="two_factor.failed", actor=branch_secretary).exists()


def test_five_wrong_codes_lock_the_code_step_for_15_minutes(client, branch_secretary, totp_for):
    totp = totp_for(branch_secretary)
    _sign_in(client, "t_branch")
    for _i in range(5):
        assert _verify(client, "000000").status_code == 200
    response = _verify(client, totp.now())
    assert response.status_code == 200 and client.get(reverse("places:residents")).status_code == 302
    assert AuditEvent.objects.filter(action="two_factor.failed", actor=branch_secretary, data__locked=True).exists()
    SignInAttempt.objects.update(created_at=timezone.now() - dt.timedelta(minutes=16))
    assert _verify(client, totp.now()).status_code == 302


def test_signing_out_works_while_the_code_is_owed(client, branch_secretary, totp_for):
    totp_for(branch_secretary)
    _sign_in(client, "t_branch")
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and "_auth_user_id" not in client.session


def test_an_authenticator_removed_by_an_operator_means_enrolling_again(client, branch_secretary, grid_worker,
                                                                       totp_for):
    totp_for(branch_secretary)
    _sign_in(client, "t_branch")
    TotpDevice.objects.filter(user=branch_secretary).delete()
    response = client.get(reverse("places:residents"), follow=True)
    assert 'data-testid="totp-secret"' in response.content.decode()
    # A role that needs no two-factor is let go once its authenticator is gone.
    client.logout()
    totp_for(grid_worker)
    _sign_in(client, "t_grid")
    TotpDevice.objects.filter(user=grid_worker).delete()
    client.get(reverse("accounts:two_factor_verify"))
    assert client.get(reverse("places:residents")).status_code == 200


def test_bearer_tokens_are_not_sessions_and_never_reveal(client, branch_secretary, api_token, demo):
    """The API has no reveal: a token of a role that may reveal reads masked numbers only, so tokens need no
    two-factor step; an unverified session cookie sent along with a valid token does not block it."""
    token = api_token(branch_secretary)
    resident = resident_in(demo, "2")
    response = client.get(f"/api/v1/residents/{resident.pk}/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    body = response.content.decode()
    assert crypto.decrypt(resident.phone_encrypted) not in body and resident.phone_masked in body
    _sign_in(client, "t_branch")  # password only: the session owes its enrolment
    assert client.get(f"/api/v1/residents/{resident.pk}/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    response = client.get(f"/api/v1/residents/{resident.pk}/", HTTP_AUTHORIZATION="Bearer lnl_not-a-token")
    assert response.status_code == 403 and response.json()["code"] == "two_factor_required"


# --- the demo's accounts -------------------------------------------------------------------------------------------


def test_demo_staff_who_may_reveal_have_the_published_secret_and_totp_code_prints_their_code(client, secretary):
    import json

    from linli.accounts.demo import demo_totp_secret
    from linli.core.demo import credentials_path

    entries = {u["username"]: u for u in json.loads(credentials_path().read_text())["users"]}
    assert entries["secretary"]["totp_secret"] == demo_totp_secret("secretary")
    assert entries["branch"]["totp_secret"] == demo_totp_secret("branch")
    assert "totp_secret" not in entries["grid1"]
    out, err = io.StringIO(), io.StringIO()
    call_command("totp_code", "secretary", stdout=out, stderr=err)
    code = out.getvalue().strip()
    assert len(code) == 6 and "secretary" in err.getvalue()
    # The demo walk-through: password, then the printed code.
    assert _sign_in(client, "secretary", "linli-demo-2024").url.startswith(reverse("accounts:two_factor_verify"))
    assert _verify(client, code).status_code == 302
    assert client.get(reverse("places:residents")).status_code == 200
    # Asked again at once, it gives the next code (this one was used).
    out = io.StringIO()
    call_command("totp_code", "secretary", stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() != code


def test_totp_code_refuses_anything_but_a_demo_secret(branch_secretary, totp_for, secretary):
    from linli.accounts.services import totp_device_install

    for username in ["nobody", "grid1", "t_branch"]:  # unknown; no authenticator; not enrolled yet
        with pytest.raises(CommandError):
            call_command("totp_code", username, stdout=io.StringIO(), stderr=io.StringIO())
    totp_for(branch_secretary)  # a real person's authenticator: a random secret
    with pytest.raises(CommandError, match="not the demo's"):
        call_command("totp_code", "t_branch", stdout=io.StringIO(), stderr=io.StringIO())
    # Another user's demo secret is not this user's demo secret either.
    from linli.accounts.demo import demo_totp_secret

    totp_device_install(actor=None, user=branch_secretary, secret=demo_totp_secret("secretary"))
    with pytest.raises(CommandError, match="not the demo's"):
        call_command("totp_code", "t_branch", stdout=io.StringIO(), stderr=io.StringIO())
    # The demo secretary who enrolled their own app is refused too.
    totp_for(secretary)
    with pytest.raises(CommandError, match="not the demo's"):
        call_command("totp_code", "secretary", stdout=io.StringIO(), stderr=io.StringIO())


def test_a_recovery_code_stands_in_for_a_lost_phone_once(client, branch_secretary, totp_for):
    """Codes made while verified; at the code step one of them opens Linli once (any case or dash), the count goes
    down, a used one is refused, and new codes make the old unused ones stop working."""
    totp = totp_for(branch_secretary)
    _sign_in(client, "t_branch")
    _verify(client, totp.now())
    response = client.post(reverse("accounts:two_factor"), {"action": "recovery_codes"})
    codes = _codes(response.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert AuditEvent.objects.filter(action="two_factor.recovery_codes_issued", actor=branch_secretary).exists()
    client.logout()
    _sign_in(client, "t_branch")
    page = client.get(reverse("accounts:two_factor_verify")).content.decode()
    assert 'data-testid="use-recovery-code"' in page
    response = _verify(client, codes[0].lower().replace("-", " "), next_url="/places/residents/")
    assert response.status_code == 302 and response.url == "/places/residents/"
    assert client.get(reverse("places:residents")).status_code == 200
    assert AuditEvent.objects.get(action="two_factor.recovery_code_used", actor=branch_secretary).data == {"left": 9}
    left = client.get(reverse("accounts:two_factor"), {"lang": "en"}).content.decode()
    assert "9 recovery codes left" in left
    client.logout()
    _sign_in(client, "t_branch")
    assert _verify(client, codes[0]).status_code == 200  # spent
    assert client.get(reverse("places:residents")).status_code == 302
    # New codes: the old unused ones stop working. (The next time step's code: the current one was used above.)
    assert _verify(client, totp.at(timezone.now() + dt.timedelta(seconds=30))).status_code == 302
    fresh = _codes(client.post(reverse("accounts:two_factor"), {"action": "recovery_codes"}).content.decode())
    assert set(fresh).isdisjoint(codes)
    client.logout()
    _sign_in(client, "t_branch")
    assert _verify(client, codes[1]).status_code == 200
    assert _verify(client, fresh[0]).status_code == 302


def test_wrong_recovery_codes_count_towards_the_lock(client, branch_secretary, totp_for):
    totp_for(branch_secretary)
    _sign_in(client, "t_branch")
    for _ in range(5):
        assert _verify(client, "ABCD-EFGH").status_code == 200
    response = client.get(reverse("accounts:two_factor_verify"))
    assert client.get(reverse("places:residents")).status_code == 302
    assert SignInAttempt.objects.filter(username="t_branch", succeeded=False).count() >= 5
    assert response.status_code == 200


def test_an_unverified_session_cannot_make_recovery_codes(client, grid_worker, totp_for):
    """A grid worker with two-factor on who has not passed the code step (they are let through for pages that
    reveal nothing, never for this)."""
    from linli.accounts.models import RecoveryCode

    totp_for(grid_worker)
    _sign_in(client, "t_grid")
    client.get(reverse("accounts:two_factor_verify"))
    response = client.post(reverse("accounts:two_factor"), {"action": "recovery_codes"})
    assert response.status_code in (302, 403)
    assert not RecoveryCode.objects.filter(user=grid_worker).exists()


def test_an_operator_resets_two_factor_with_a_reason(client, branch_secretary, totp_for):
    from linli.accounts.models import RecoveryCode
    from linli.accounts.services import recovery_codes_issue

    totp_for(branch_secretary)
    recovery_codes_issue(user=branch_secretary)
    with pytest.raises(CommandError, match="原因|reason"):  # zh-Hans unless chosen otherwise
        call_command("two_factor_reset", "t_branch", "--reason", "")
    assert TotpDevice.objects.filter(user=branch_secretary).exists()
    out = io.StringIO()
    call_command("two_factor_reset", "t_branch", "--reason", "phone stolen, checked in person", stdout=out)
    assert "set it up again" in out.getvalue()
    assert not TotpDevice.objects.filter(user=branch_secretary).exists()
    assert not RecoveryCode.objects.filter(user=branch_secretary, used_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="two_factor.reset")
    assert event.data["reason"] == "phone stolen, checked in person" and event.target_id == str(branch_secretary.pk)
    with pytest.raises(CommandError, match="No user"):
        call_command("two_factor_reset", "nobody", "--reason", "typo check")
    # At the next sign-in they enrol again.
    assert _sign_in(client, "t_branch").url.startswith(reverse("accounts:two_factor") + "?")


def test_a_secretary_resets_a_colleagues_two_factor_on_a_desk_page(client, secretary, branch_secretary, totp_for):
    """The community secretary, above the compound's branch secretary, removes their authenticator with a reason;
    the branch secretary then enrols again at the next sign-in."""
    from linli.accounts.models import RecoveryCode
    from linli.accounts.services import recovery_codes_issue
    from linli.accounts.testing import signed_in

    totp_for(branch_secretary)
    recovery_codes_issue(user=branch_secretary)
    signed_in(client, secretary)
    url = reverse("accounts:two_factor_reset")
    assert url in client.get(reverse("accounts:two_factor")).content.decode()  # found from the two-factor page
    assert client.get(url).status_code == 200
    refused = client.post(url, {"username": "t_branch", "reason": ""})
    assert refused.status_code == 400 and 'data-field-error="reason"' in refused.content.decode()
    assert TotpDevice.objects.filter(user=branch_secretary).exists()
    done = client.post(url, {"username": "t_branch", "reason": "手机和恢复码都丢了，本人到场核实"}, follow=True)
    assert "t_branch" in done.content.decode()
    assert not TotpDevice.objects.filter(user=branch_secretary).exists()
    assert not RecoveryCode.objects.filter(user=branch_secretary, used_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="two_factor.reset")
    assert event.actor_id == secretary.pk and event.data["reason"] == "手机和恢复码都丢了，本人到场核实"
    client.logout()
    assert _sign_in(client, "t_branch").url.startswith(reverse("accounts:two_factor") + "?")


def test_two_factor_reset_reaches_nobody_beyond_the_area_nor_oneself(client, secretary, branch_secretary, totp_for):
    """404 alike for an unknown name, a resident's account and someone with a role elsewhere; one's own is refused
    on the form; a role without the permission gets 403 — and nothing is removed in any of these."""
    from linli.accounts.models import User
    from linli.accounts.services import role_grant, user_create
    from linli.accounts.testing import signed_in
    from linli.places.models import PlaceKind
    from linli.places.services import place_create

    elsewhere_user = user_create(actor=None, username="t_elsewhere", password=PASSWORD)
    street = secretary.role_assignments.first().place.parent  # a second community of the street: not hers
    other_place = place_create(actor=None, parent=street, kind=PlaceKind.COMMUNITY, code="ZZ9", name="别的社区")
    role_grant(actor=None, user=elsewhere_user, role=Role.COMMUNITY_SECRETARY, place=other_place)
    User.objects.create(username="t_resident", is_resident=True)  # a resident's account: no roles, no reach
    for user in (secretary, branch_secretary, elsewhere_user):
        totp_for(user)
    devices = TotpDevice.objects.count()
    url = reverse("accounts:two_factor_reset")
    signed_in(client, secretary)
    for name in ("nobody-at-all", "t_elsewhere", "t_resident"):
        assert client.post(url, {"username": name, "reason": "丢了手机"}).status_code == 404, name
    own = client.post(url, {"username": secretary.username, "reason": "丢了手机"})
    assert own.status_code == 400 and 'data-field-error="username"' in own.content.decode()
    client.logout()
    signed_in(client, branch_secretary)  # may reveal, may not reset
    assert client.get(url).status_code == 403
    assert client.post(url, {"username": "t_branch", "reason": "丢了手机"}).status_code == 403
    assert TotpDevice.objects.count() == devices
    assert not AuditEvent.objects.filter(action="two_factor.reset").exists()
