"""Staff sign-in (with lock-out), two-factor enrolment and verification, and the invitation cards to print."""

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.accounts import services
from linli.accounts import two_factor as gate
from linli.accounts.permissions import (
    ISSUE_INVITATIONS,
    RESET_TWO_FACTOR,
    has_perm,
    may_reveal,
    two_factor_verified,
)
from linli.accounts.selectors import staff_in_reach
from linli.core.errors import ApplicationError
from linli.core.forms import DeskForm, submit
from linli.places import selectors as places
from linli.places.models import UnitUse


class LockoutAuthenticationForm(auth_forms.AuthenticationForm):
    """Django's sign-in form, which says so when the username or the address is locked out (the backend counts
    the attempts and marks the request: ``linli.accounts.backends.LockoutModelBackend``)."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "locked": gettext_lazy("Too many failed sign-ins. Sign-in is locked for 15 minutes."),
    }

    locked = False

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            if self.request is not None and getattr(self.request, "linli_locked", False):
                self.locked = True
                raise ValidationError(self.error_messages["locked"], code="locked") from None
            raise


class LoginView(auth_views.LoginView):
    """The password step; then, where it applies, the two-factor code (or enrolment) before anything else."""

    form_class = LockoutAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        step = gate.step_required(self.request)
        if step is None:
            return response
        target = "accounts:two_factor_verify" if step == gate.VERIFY else "accounts:two_factor"
        return redirect(f"{reverse(target)}?{urlencode({'next': response.url})}")


def _ip(request):
    return request.META.get("REMOTE_ADDR")


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


@login_required
def two_factor(request):
    """Two-factor sign-in: enrol an authenticator app (QR code and secret), or see that it is on. The enrolment
    step of a sign-in for a role that may reveal personal data (it comes back to ``next`` once confirmed)."""
    next_url = _safe_next(request, "")
    device = services.totp_device_start(user=request.user)
    if request.method == "POST" and device.confirmed_at is None:
        try:
            services.totp_check(user=request.user, code=request.POST.get("code", ""), ip=_ip(request), confirm=True)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            gate.mark_verified(request)
            messages.success(request, _("Two-factor sign-in is on."))
            return _recovery_codes_page(request, next_url, first=True)
    elif request.method == "POST" and request.POST.get("action") == "recovery_codes":
        if not two_factor_verified(request):  # only a session that passed the second step makes new codes
            raise PermissionDenied
        return _recovery_codes_page(request, next_url, first=False)
    context = {"device": device, "required": may_reveal(request.user), "next": next_url,
               "step": gate.step_required(request), "verified": two_factor_verified(request),
               "recovery_left": services.recovery_codes_left(request.user) if device.confirmed_at else None}
    if device.confirmed_at is None:
        uri = services.totp_uri(device)
        context["qr_svg"] = segno.make(uri, error="m").svg_inline(scale=4, title=_("QR code for your authenticator"))
        context["secret"] = services.totp_secret(device)
    return render(request, "accounts/two_factor.html", context)


def _recovery_codes_page(request, next_url: str, *, first: bool):
    """New recovery codes, shown this once (they are not stored), with the way on."""
    codes = services.recovery_codes_issue(user=request.user)
    response = render(request, "accounts/two_factor_codes.html", {
        "codes": codes, "first": first, "next": next_url or reverse("accounts:two_factor")})
    add_never_cache_headers(response)
    return response


@login_required
def two_factor_verify(request):
    """Enter a code from the authenticator app: the second step of a sign-in with two-factor on (the session
    reaches nothing else before it), and what lets a session reveal personal numbers."""
    next_url = _safe_next(request, reverse("overview:home"))
    if not services.has_totp(request.user):
        # No authenticator (never enrolled, or an operator removed it): enrol, if the role needs it.
        request.session.pop(gate.PENDING_KEY, None)
        return redirect(f"{reverse('accounts:two_factor')}?{urlencode({'next': next_url})}")
    if request.method == "POST":
        try:
            services.totp_check(user=request.user, code=request.POST.get("code", ""), ip=_ip(request))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            gate.mark_verified(request)
            if services.looks_like_recovery_code(request.POST.get("code", "")):
                messages.warning(request, _("You signed in with a recovery code; %(left)s left. Make new ones on "
                                            "the two-factor page, and set up your authenticator again if the phone "
                                            "is lost.") % {"left": services.recovery_codes_left(request.user)})
            return redirect(next_url)
    return render(request, "accounts/two_factor_verify.html", {
        "next": next_url, "mandatory": gate.step_required(request) is not None})


class TwoFactorResetForm(DeskForm):
    username = forms.CharField(label=gettext_lazy("Their user name"), max_length=150)
    reason = forms.CharField(label=gettext_lazy("Why (recorded in the audit trail)"), max_length=200,
                             help_text=gettext_lazy("For example: phone lost, recovery codes lost, checked in person "
                                                    "on 28 November."))


@login_required
def two_factor_reset(request):
    """A colleague has lost both the phone and the recovery codes: remove their authenticator, so that they set it
    up again at their next sign-in. For a secretary above them; the account must lie wholly in one's area (else 404,
    as for no such account); a reason, audited."""
    if not has_perm(request.user, RESET_TWO_FACTOR):
        raise PermissionDenied
    form = TwoFactorResetForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        # Who is named is looked up first: out of reach is 404 whatever else the form says (no name: the form
        # says so).
        username = request.POST.get("username", "").strip()
        target = staff_in_reach(user=request.user, username=username) if username else None
        done, had = submit(form, lambda d: services.two_factor_reset(actor=request.user, user=target,
                                                                     reason=d["reason"]))
        if done:
            messages.success(request, (_("%(user)s's authenticator is removed: they set it up again at their next "
                                         "sign-in.") if had else
                                       _("%(user)s had no authenticator; any unused recovery codes are removed."))
                             % {"user": target.username})
            return redirect("accounts:two_factor_reset")
        return render(request, "accounts/two_factor_reset.html", {"form": form}, status=400)
    return render(request, "accounts/two_factor_reset.html", {"form": form})


@login_required
def invitation_print(request, pk: int):
    """One card per dwelling of a building (within scope): the household's invitation code and a QR code."""
    building = places.get_building_for_user(user=request.user, pk=pk)
    if not has_perm(request.user, ISSUE_INVITATIONS):
        raise PermissionDenied
    units = list(places.unit_list(user=request.user, building=building, use=UnitUse.DWELLING))
    codes = services.invitations_ensure(actor=request.user, units=units)
    services.invitation_print_record(actor=request.user, building=building, count=len(units))
    claim_url = request.build_absolute_uri(reverse("me:claim"))
    cards = []
    for unit in units:
        code = codes[unit.pk].code
        qr = segno.make(f"{claim_url}?code={code}", error="m").svg_inline(scale=2)
        cards.append({"unit": unit, "code": code, "qr": qr})
    return render(request, "accounts/invitation_print.html", {
        "building": building, "cards": cards, "claim_url": claim_url,
        "trail": places.ancestors(building) + [building],
    })


@login_required
def invitation_reissue(request, pk: int):
    """A new code for one unit (the old one stops working): for a lost card. Out of scope → 404 whatever the
    method, as everywhere; then only a POST by someone who issues invitations."""
    unit = places.get_unit_for_user(user=request.user, pk=pk)
    if not has_perm(request.user, ISSUE_INVITATIONS):
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    invitation = services.invitation_issue(actor=request.user, unit=unit)
    messages.success(request, _("New invitation code for %(unit)s: %(code)s") % {"unit": unit.name,
                                                                                 "code": invitation.code})
    return redirect("places:unit", pk=unit.pk)

