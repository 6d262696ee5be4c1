"""The resident's own pages (phone first): sign in with a code, claim a household, see what is held about you."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts import selectors, services
from linli.accounts.decorators import resident_login_required
from linli.cases.selectors import resident_cases_waiting
from linli.core.crypto import keyed_hash, mask_phone
from linli.core.errors import ApplicationError
from linli.notify.selectors import unread_count

BACKEND = "linli.accounts.backends.LockoutModelBackend"
PHONE_SESSION_KEY = "linli_signin_phone"  # the keyed hash and the masked number, never the number itself


def _ip(request):
    return request.META.get("REMOTE_ADDR")


def _sign_in(request, user, method: str):
    request.linli_sign_in_method = method  # read by the sign-in audit (linli.accounts.signals)
    login(request, user, backend=BACKEND)


NEXT_SESSION_KEY = "linli_signin_next"


def _next_page(request) -> str:
    """Where a resident was going when asked to sign in (a link in a text message, a bookmark): a page of their
    own portal, or their home."""
    target = request.GET.get("next", "")
    if target.startswith("/me/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


def sign_in(request):
    """Step 1: the mobile number. The same answer whether or not it is in the register."""
    if request.user.is_authenticated and getattr(request.user, "is_resident", False):
        return redirect(_next_page(request) or "me:home")
    if _next_page(request):
        request.session[NEXT_SESSION_KEY] = _next_page(request)
    error = None
    phone = ""
    code_sent = False  # this browser asked a code for this number a moment ago: offer to enter it
    if request.method == "POST":
        phone = request.POST.get("phone", "").strip()
        try:
            number = services.normalise_phone(phone)
            services.signin_code_request(phone=number, ip=_ip(request))
        except ApplicationError as exc:
            error = exc
            pending = request.session.get(PHONE_SESSION_KEY) or {}
            code_sent = exc.code == "rate_limited" and pending.get("hash") == keyed_hash(number)
        else:
            request.session[PHONE_SESSION_KEY] = {"hash": keyed_hash(number), "masked": mask_phone(number)}
            return redirect("me:sign_in_code")
    return render(request, "accounts/me_sign_in.html", {"error": error, "phone": phone, "code_sent": code_sent},
                  status=400 if error else 200)


def sign_in_code(request):
    """Step 2: the 6-digit code sent by text."""
    pending = request.session.get(PHONE_SESSION_KEY)
    if not pending:
        return redirect("me:sign_in")
    error = None
    if request.method == "POST":
        try:
            user = services.signin_code_verify(phone_hash=pending["hash"], phone_masked=pending["masked"],
                                               code=request.POST.get("code", ""), ip=_ip(request))
        except ApplicationError as exc:
            error = exc
        else:
            _sign_in(request, user, "phone_code")  # (a new session: what it held is carried over by login)
            return redirect(request.session.pop(NEXT_SESSION_KEY, "") or "me:home")
    return render(request, "accounts/me_sign_in_code.html", {"error": error, "masked": pending["masked"]},
                  status=400 if error else 200)


def claim(request):
    """Claim a household with the invitation code from the grid worker's card, and one's mobile number."""
    error = None
    code = request.POST.get("code", request.GET.get("code", "")).strip().upper()
    phone = request.POST.get("phone", "").strip()
    if request.method == "POST":
        try:
            user = services.invitation_claim(code=code, phone=phone, ip=_ip(request))
        except ApplicationError as exc:
            error = exc
        else:
            if request.user.is_authenticated:
                logout(request)
            _sign_in(request, user, "invitation")
            messages.success(request, _("Welcome! Your account is linked to your household."))
            return redirect("me:home")
    return render(request, "accounts/me_claim.html", {"error": error, "code": code, "phone": phone},
                  status=400 if error else 200)


@resident_login_required
def home(request):
    """The resident's household and what Linli holds about them — nothing else."""
    resident = selectors.resident_of(request.user)
    if resident is None:
        if not getattr(request.user, "is_resident", False):
            return redirect("overview:home")  # staff have no household page of their own
        return render(request, "accounts/me_home.html", {"resident": None})
    return render(request, "accounts/me_home.html", {
        "resident": resident,
        "members": selectors.household_members(resident=resident),
        "looks": selectors.who_looked(resident=resident),
        "unread": unread_count(user=request.user),
        "waiting": resident_cases_waiting(user=request.user),  # their reports that wait for them
    })


@require_POST
def sign_out(request):
    logout(request)
    return redirect("me:sign_in")
