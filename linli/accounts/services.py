"""Writes for accounts: users, roles at a place node, API tokens, resident accounts (phone codes, invitations),
two-factor devices, and the audited reveal of personal data. Each is audited."""

import datetime as dt
import hmac
import os
import secrets

import pyotp
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import (
    ApiToken,
    AttemptKind,
    InvitationCode,
    LinkMethod,
    RecoveryCode,
    ResidentLink,
    Role,
    RoleAssignment,
    SignInCode,
    TotpDevice,
    User,
)
from linli.accounts.ratelimit import attempt_begin, attempt_record, attempt_succeeded, hold
from linli.core.audit import audit
from linli.core.crypto import decrypt, encrypt, keyed_hash, mask_phone
from linli.core.errors import ApplicationError
from linli.notify.services import outbound_send
from linli.places.models import Grid, Place, PlaceKind, Resident

#: The kind of node each role is held at.
ROLE_PLACE_KINDS = {
    Role.CITY_ADMIN: {PlaceKind.CITY},
    Role.STREET_OFFICER: {PlaceKind.STREET, PlaceKind.DISTRICT},
    Role.COMMUNITY_SECRETARY: {PlaceKind.COMMUNITY},
    Role.COMMUNITY_STAFF: {PlaceKind.COMMUNITY},
    Role.SOCIAL_WORKER: {PlaceKind.COMMUNITY, PlaceKind.COMPOUND},
    Role.BRANCH_SECRETARY: {PlaceKind.COMPOUND},
    Role.BRANCH_ASSISTANT: {PlaceKind.COMPOUND},
    Role.GRID_WORKER: {PlaceKind.COMPOUND},
    Role.PROPERTY_STEWARD: {PlaceKind.COMPOUND, PlaceKind.BUILDING},
    Role.PEACEMAKER: {PlaceKind.COMPOUND, PlaceKind.BUILDING},
    Role.RED_STEWARD: {PlaceKind.COMPOUND, PlaceKind.BUILDING},
    Role.GROUP_LEADER: {PlaceKind.BUILDING},
}


@transaction.atomic
def user_create(*, actor, username: str, password: str, display_name: str = "") -> User:
    """A staff account with a password (hashed with Argon2)."""
    if User.objects.filter(username=username).exists():
        raise ApplicationError(_("The username “%(name)s” is taken.") % {"name": username}, field="username")
    user = User(username=username, display_name=display_name)
    user.set_password(password)
    user.save()
    audit(actor=actor, action="user.created", target=user)
    return user


@transaction.atomic
def role_grant(*, actor, user: User, role: str, place: Place, grid: Grid | None = None) -> RoleAssignment:
    """Give ``user`` a role at ``place`` (and, for a grid worker, a grid of that compound)."""
    if place.kind not in ROLE_PLACE_KINDS[role]:
        raise ApplicationError(
            _("The role %(role)s is held at a %(kinds)s.")
            % {"role": Role(role).label, "kinds": " / ".join(PlaceKind(k).label for k in ROLE_PLACE_KINDS[role])},
            field="place",
        )
    if role == Role.GRID_WORKER and (grid is None or grid.compound_id != place.pk):
        raise ApplicationError(_("A grid worker's role names a grid of the compound."), field="grid")
    assignment = RoleAssignment.objects.create(user=user, role=role, place=place, grid=grid)
    audit(actor=actor, action="role.granted", target=assignment, place_path=place.path,
          data={"user": user.username, "role": role, "grid": grid.pk if grid else None})
    return assignment


@transaction.atomic
def token_issue(*, actor, user: User, name: str) -> tuple[ApiToken, str]:
    """A new API token; returns the row and the token itself, which is not stored and cannot be shown again."""
    key = "lnl_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, key_hash=ApiToken.hash_key(key), prefix=key[4:12])
    audit(actor=actor, action="api_token.issued", target=token, data={"user": user.username})
    return token, key


def token_authenticate(key: str) -> User | None:
    """The active user owning an unrevoked token, or None."""
    token = ApiToken.find_live(key)
    return token.user if token is not None else None


# --- resident accounts: phone sign-in codes and household invitation codes ---------------------------------------

#: Invitation codes: 8 characters without the ones people misread (0/O, 1/I/L).
INVITATION_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITATION_LENGTH = 8
CODE_TTL = dt.timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5
CODE_MIN_INTERVAL = dt.timedelta(seconds=60)
CODE_PER_HOUR = 5
CODE_PER_ADDRESS_PER_HOUR = 30
CLAIM_FAILURES_PER_ADDRESS = 10


def normalise_phone(value: str) -> str:
    """A mainland mobile number as 11 digits, or an error naming the field."""
    digits = "".join(ch for ch in (value or "") if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) != 11 or not digits.startswith("1"):
        raise ApplicationError(_("Mobile phone: enter the 11 digits of a mainland mobile number."), field="phone")
    return digits


def _code_hash(phone_hash: str, code: str) -> str:
    return keyed_hash(f"signin:{phone_hash}:{code}")


def user_place_path(user) -> str:
    """Where a user's audit events belong: their first role's place, or a resident's unit."""
    if user is None or not getattr(user, "pk", None):
        return ""
    if getattr(user, "is_resident", False):
        link = ResidentLink.objects.filter(user=user, ended_at__isnull=True).select_related("resident").first()
        return link.resident.path if link else ""
    assignment = RoleAssignment.objects.filter(user=user, ended_at__isnull=True).select_related("place").first()
    return assignment.place.path if assignment else ""


@transaction.atomic
def signin_code_request(*, phone: str, ip: str | None = None) -> None:
    """Send a 6-digit sign-in code to ``phone`` if it is a current resident's number.

    Whether the number is in the register or not, the caller sees the same answer (nobody learns who lives here);
    a number not in the register gets no text. At most one code a minute and five an hour per number.
    """
    phone = normalise_phone(phone)
    phone_hash = keyed_hash(phone)
    # Two requests for the same number (or from the same address) at once: the second waits here for the first to
    # commit, then counts its code — so both cannot pass the one-a-minute limit.
    hold(f"code:phone:{phone_hash}", f"code:ip:{ip}" if ip else "")
    now = timezone.now()
    recent = SignInCode.objects.filter(phone_hash=phone_hash, created_at__gte=now - dt.timedelta(hours=1))
    if recent.filter(created_at__gte=now - CODE_MIN_INTERVAL).exists():
        raise ApplicationError(_("Mobile phone: a code was sent less than a minute ago. Please wait a minute."),
                               field="phone", code="rate_limited")
    if recent.count() >= CODE_PER_HOUR:
        raise ApplicationError(_("Mobile phone: too many codes were asked for this number. Try again in an hour."),
                               field="phone", code="rate_limited")
    if ip and SignInCode.objects.filter(ip_address=ip, created_at__gte=now - dt.timedelta(hours=1)).count() \
            >= CODE_PER_ADDRESS_PER_HOUR:
        raise ApplicationError(_("Mobile phone: too many codes were asked from this network. Try again later."),
                               field="phone", code="rate_limited")
    resident = (Resident.objects.filter(phone_hash=phone_hash, is_current=True).select_related("unit")
                .order_by("id").first())
    code = f"{secrets.randbelow(10**6):06d}"
    SignInCode.objects.create(phone_hash=phone_hash, code_hash=_code_hash(phone_hash, code), resident=resident,
                              expires_at=now + CODE_TTL, ip_address=ip or None)
    audit(actor=None, action="sign_in.code_requested", target=resident, place_path=resident.path if resident else "",
          data={"phone": mask_phone(phone), "in_register": resident is not None})
    if resident is not None:
        outbound_send(to=phone, kind="sign_in_code", place_path=resident.path,
                      body=_("Linli sign-in code: %(code)s. It is valid for 10 minutes. Never tell it to anyone.")
                      % {"code": code})


def signin_code_verify(*, phone_hash: str, phone_masked: str = "", code: str, ip: str | None = None) -> User:
    """The resident account for the phone whose keyed hash is ``phone_hash`` (the sign-in page keeps the hash in
    the session, not the number) once ``code`` matches the latest unexpired code sent to it.

    A code expires after 10 minutes and dies after 5 wrong tries; each is used once.
    """
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    now = timezone.now()
    row = (SignInCode.objects.filter(phone_hash=phone_hash, used_at__isnull=True, expires_at__gt=now)
           .order_by("-created_at", "-id").first())
    expired = _("Code: it has expired or was not asked for. Ask for a new code.")
    if row is None:
        attempt_record(kind=AttemptKind.PHONE_CODE, username=phone_hash, ip=ip, succeeded=False)
        raise ApplicationError(expired, field="code")
    # The try is counted before the comparison, in one conditional UPDATE: parallel guesses cannot exceed five.
    if SignInCode.objects.filter(pk=row.pk, attempts__lt=CODE_MAX_ATTEMPTS).update(attempts=F("attempts") + 1) != 1:
        raise ApplicationError(_("Code: too many wrong tries. Ask for a new code."), field="code")
    if len(code) != 6 or not hmac.compare_digest(row.code_hash, _code_hash(phone_hash, code)) \
            or row.resident_id is None:
        attempt_record(kind=AttemptKind.PHONE_CODE, username=phone_hash, ip=ip, succeeded=False)
        audit(actor=None, action="sign_in.failed", target=row.resident,
              place_path=row.resident.path if row.resident_id else "",
              data={"method": "phone_code", "phone": phone_masked})
        raise ApplicationError(_("Code: the code is wrong."), field="code")
    with transaction.atomic():
        if SignInCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now) != 1:
            raise ApplicationError(expired, field="code")  # used by a request that raced this one
        resident = Resident.objects.select_related("unit").get(pk=row.resident_id)
        if not resident.is_current:
            raise ApplicationError(expired, field="code")
        user = resident_account_for(resident=resident, method=LinkMethod.PHONE)
    attempt_record(kind=AttemptKind.PHONE_CODE, username=phone_hash, ip=ip, succeeded=True)
    return user


@transaction.atomic
def resident_account_for(*, resident: Resident, method: str) -> User:
    """The account linked to ``resident``, created (no password, no role) and linked on first use."""
    link = (ResidentLink.objects.select_for_update().filter(resident=resident, ended_at__isnull=True)
            .select_related("user").first())
    if link is not None:
        return link.user
    username = f"r{resident.pk}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, display_name=resident.name, is_resident=True)
        user.set_unusable_password()
        user.save()
        audit(actor=None, action="user.created", target=user, place_path=resident.path,
              data={"resident_account": True})
    ResidentLink.objects.create(user=user, resident=resident, method=method)
    audit(actor=user, action="resident.account_linked", target=resident, place_path=resident.path,
          data={"method": method})
    return user


def _new_invitation_code() -> str:
    while True:
        code = "".join(secrets.choice(INVITATION_ALPHABET) for _i in range(INVITATION_LENGTH))
        if not InvitationCode.objects.filter(code=code).exists():
            return code


@transaction.atomic
def invitation_issue(*, actor, unit: Place) -> InvitationCode:
    """A new invitation code for ``unit``; the unit's earlier unused code is revoked."""
    if unit.kind != PlaceKind.UNIT:
        raise ApplicationError(_("Unit: invitation codes are issued for units."), field="unit")
    now = timezone.now()
    revoked = InvitationCode.objects.filter(unit=unit, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now)
    invitation = InvitationCode.objects.create(unit=unit, path=unit.path, code=_new_invitation_code(),
                                               created_by=actor if getattr(actor, "pk", None) else None)
    audit(actor=actor, action="invitation.issued", target=invitation, place_path=unit.path,
          data={"unit": unit.name, "revoked_earlier": revoked})
    return invitation


@transaction.atomic
def invitations_ensure(*, actor, units) -> dict[int, InvitationCode]:
    """An active invitation code for each of ``units`` (dwellings), creating the missing ones in one insert."""
    units = [u for u in units if u.kind == PlaceKind.UNIT]
    active = {inv.unit_id: inv for inv in InvitationCode.objects.filter(
        unit__in=units, used_at__isnull=True, revoked_at__isnull=True)}
    missing = [u for u in units if u.pk not in active]
    if missing:
        taken = set(InvitationCode.objects.values_list("code", flat=True))
        rows = []
        for unit in missing:
            code = _new_invitation_code_avoiding(taken)
            rows.append(InvitationCode(unit=unit, path=unit.path, code=code,
                                       created_by=actor if getattr(actor, "pk", None) else None))
        InvitationCode.objects.bulk_create(rows)
        for row in InvitationCode.objects.filter(unit__in=missing, used_at__isnull=True, revoked_at__isnull=True):
            active[row.unit_id] = row
        common = os.path.commonprefix([u.path for u in missing])
        common = common[: common.rfind("/") + 1]  # the deepest place holding every unit
        audit(actor=actor, action="invitation.issued", place_path=common, data={"count": len(missing)})
    return active


def _new_invitation_code_avoiding(taken: set[str]) -> str:
    while True:
        code = "".join(secrets.choice(INVITATION_ALPHABET) for _i in range(INVITATION_LENGTH))
        if code not in taken:
            taken.add(code)
            return code


def invitation_claim(*, code: str, phone: str, ip: str | None = None) -> User:
    """Link the resident whose phone is ``phone`` to an account, with their household's invitation ``code``.

    The phone must be that of a current resident of the invitation's unit; a code is used once. The same answer
    for a wrong code and a wrong phone, and at most 10 failures per address in 15 minutes.
    """
    compact = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    if len(compact) != INVITATION_LENGTH:
        raise ApplicationError(_("Invitation code: enter the 8 letters and digits printed on the card."),
                               field="code")
    phone = normalise_phone(phone)
    # Counted (as a failure until it succeeds) before the register is searched, under a lock on the address.
    attempt = attempt_begin(kind=AttemptKind.INVITATION, ip=ip, failures=CLAIM_FAILURES_PER_ADDRESS)
    if attempt is None:
        raise ApplicationError(_("Invitation code: too many wrong tries from this network. Try again in 15 "
                                 "minutes."), field="code", code="rate_limited")
    invitation = (InvitationCode.objects.filter(code=compact, used_at__isnull=True, revoked_at__isnull=True)
                  .select_related("unit").first())
    resident = None
    if invitation is not None:
        resident = (Resident.objects.filter(unit=invitation.unit, is_current=True, household__is_current=True,
                                            phone_hash=keyed_hash(phone)).order_by("id").first())
    mismatch = _("Invitation code: the code and the mobile number do not match the register. Check both, or ask "
                 "your grid worker.")
    if resident is None:  # the attempt stays counted as a failure
        audit(actor=None, action="invitation.claim_failed", target=invitation,
              place_path=invitation.path if invitation else "", data={"phone": mask_phone(phone)})
        if invitation is None and Resident.objects.filter(
                unit__invitation_codes__code=compact, unit__invitation_codes__used_at__isnull=False, is_current=True,
                household__is_current=True, phone_hash=keyed_hash(phone)).exists():
            # the card's own household, claimed already (only someone holding both the card and the number
            # learns this): the way in is the text code
            raise ApplicationError(_("Invitation code: this household's card has been used already. Sign in with "
                                     "your mobile number instead."), field="code", code="used")
        raise ApplicationError(mismatch, field="code")
    with transaction.atomic():
        now = timezone.now()
        if InvitationCode.objects.filter(pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True).update(
                used_at=now) != 1:
            raise ApplicationError(mismatch, field="code")
        user = resident_account_for(resident=resident, method=LinkMethod.INVITATION)
        InvitationCode.objects.filter(pk=invitation.pk).update(used_by=user)
        audit(actor=user, action="invitation.claimed", target=invitation, place_path=invitation.path,
              data={"resident": resident.pk})
    attempt_succeeded(attempt)
    return user


# --- personal data: staff views and reveals ----------------------------------------------------------------------


def resident_view_record(*, actor, resident: Resident) -> None:
    """Record that a staff member opened a resident's page (the resident can see who looked)."""
    audit(actor=actor, action="resident.viewed", target=resident, place_path=resident.path)


@transaction.atomic
def personal_data_reveal(*, actor, resident: Resident) -> dict[str, str]:
    """The plaintext ID and phone numbers of ``resident``; the caller has checked the permission and the
    two-factor session. Audited as ``personal_data.revealed``."""
    from linli.accounts.permissions import may_reveal

    if not may_reveal(actor):
        raise ApplicationError(_("Your role may not see personal numbers."), code="forbidden")
    audit(actor=actor, action="personal_data.revealed", target=resident, place_path=resident.path,
          data={"fields": ["id_number", "phone"]})
    return {"id_number": decrypt(resident.id_number_encrypted), "phone": decrypt(resident.phone_encrypted)}


# --- two-factor sign-in (TOTP) -----------------------------------------------------------------------------------

TOTP_ISSUER = "Linli"


def totp_device_start(*, user: User) -> TotpDevice:
    """The user's authenticator device: a new unconfirmed secret unless one is confirmed already."""
    device = TotpDevice.objects.filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        return device
    if device is None:
        device = TotpDevice.objects.create(user=user, secret_encrypted=encrypt(pyotp.random_base32()))
    return device


@transaction.atomic
def totp_device_install(*, actor, user: User, secret: str) -> TotpDevice:
    """Give ``user`` a confirmed authenticator with a known ``secret`` — for the demo's accounts only, whose
    secrets are published (``linli.accounts.demo``); a real person enrols with :func:`totp_device_start`."""
    device, _created = TotpDevice.objects.update_or_create(user=user, defaults={
        "secret_encrypted": encrypt(secret), "confirmed_at": timezone.now(), "last_used_step": 0})
    audit(actor=actor, action="two_factor.enrolled", target=device, place_path=user_place_path(user),
          data={"demo": True})
    return device


def totp_secret(device: TotpDevice) -> str:
    return decrypt(device.secret_encrypted)


def totp_uri(device: TotpDevice) -> str:
    return pyotp.TOTP(totp_secret(device)).provisioning_uri(name=device.user.username, issuer_name=TOTP_ISSUER)


def _totp_match(device: TotpDevice, code: str) -> int | None:
    """The time step ``code`` belongs to (now ± 30 s), if it matches and was not used before."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(totp_secret(device))
    now = timezone.now()
    for offset in (0, -1, 1):
        at = now + dt.timedelta(seconds=30 * offset)
        if hmac.compare_digest(totp.at(at), code):
            step = totp.timecode(at)
            return step if step > device.last_used_step else None
    return None


def totp_check(*, user: User, code: str, ip: str | None = None, confirm: bool = False) -> TotpDevice:
    """Check a code from the user's authenticator (confirming the device on enrolment). Audited either way
    (``two_factor.verified`` / ``two_factor.enrolled`` / ``two_factor.failed``). 5 wrong codes in 15 minutes lock
    two-factor checks for the username for 15 minutes; each code is accepted once (no replay, even by two requests
    at the same moment)."""
    device = TotpDevice.objects.filter(user=user).first()
    if device is None or (device.confirmed_at is None and not confirm):
        raise ApplicationError(_("Code: set up two-factor sign-in first."), field="code")
    place_path = user_place_path(user)
    attempt = attempt_begin(kind=AttemptKind.TOTP, username=user.username, ip=ip, by_address=False)
    if attempt is None:
        audit(actor=user, action="two_factor.failed", place_path=place_path, data={"locked": True})
        raise ApplicationError(_("Code: too many wrong codes. Try again in 15 minutes."), field="code",
                               code="locked")
    wrong = _("Code: the code is wrong or was used already.")
    if device.confirmed_at is not None and looks_like_recovery_code(code):
        if not _recovery_code_use(user, code):
            audit(actor=user, action="two_factor.failed", place_path=place_path, data={"recovery_code": True})
            raise ApplicationError(wrong, field="code")
        audit(actor=user, action="two_factor.recovery_code_used", place_path=place_path,
              data={"left": recovery_codes_left(user)})
        attempt_succeeded(attempt)
        return device
    step = _totp_match(device, code)
    if step is None:
        audit(actor=user, action="two_factor.failed", place_path=place_path)
        raise ApplicationError(wrong, field="code")
    with transaction.atomic():
        # Claim the time step in one conditional UPDATE: of two requests with the same code, one wins.
        if TotpDevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(last_used_step=step) != 1:
            claimed = False
        else:
            claimed = True
            device.last_used_step = step
            if device.confirmed_at is None:
                device.confirmed_at = timezone.now()
                device.save(update_fields=["confirmed_at"])
                audit(actor=user, action="two_factor.enrolled", target=device, place_path=place_path)
            else:
                audit(actor=user, action="two_factor.verified", place_path=place_path)
    if not claimed:
        audit(actor=user, action="two_factor.failed", place_path=place_path, data={"replayed": True})
        raise ApplicationError(wrong, field="code")
    attempt_succeeded(attempt)
    return device


def has_totp(user) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


#: Recovery codes made at a time; each is 8 characters of the invitation alphabet (about 40 bits), shown as XXXX-XXXX.
RECOVERY_CODES = 10


def _recovery_normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def looks_like_recovery_code(code: str) -> bool:
    """A recovery code, not an authenticator's 6 digits (both are typed into the same field)."""
    value = _recovery_normalise(code)
    return len(value) == INVITATION_LENGTH and not value.isdigit()


def _recovery_hash(user, code: str) -> str:
    return keyed_hash(f"recovery:{user.pk}:{_recovery_normalise(code)}")


@transaction.atomic
def recovery_codes_issue(*, user: User) -> list[str]:
    """New recovery codes for ``user``'s two-factor sign-in; the unused old ones stop working. Returns the codes,
    which are not stored and cannot be shown again (audited: ``two_factor.recovery_codes_issued``)."""
    codes = []
    while len(codes) < RECOVERY_CODES:
        code = "".join(secrets.choice(INVITATION_ALPHABET) for _i in range(INVITATION_LENGTH))
        if code not in codes:
            codes.append(code)
    RecoveryCode.objects.filter(user=user, used_at__isnull=True).delete()
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=_recovery_hash(user, c)) for c in codes])
    audit(actor=user, action="two_factor.recovery_codes_issued", place_path=user_place_path(user),
          data={"count": len(codes)})
    return [f"{c[:4]}-{c[4:]}" for c in codes]


def _recovery_code_use(user, code: str) -> bool:
    """Spend one unused recovery code of ``user``; one conditional UPDATE, so that of two requests with the same
    code one wins."""
    return RecoveryCode.objects.filter(user=user, code_hash=_recovery_hash(user, code), used_at__isnull=True).update(
        used_at=timezone.now()) == 1


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@transaction.atomic
def two_factor_reset(*, actor, user: User, reason: str) -> bool:
    """Remove ``user``'s authenticator and recovery codes (a lost phone and lost codes, checked in person): at the
    next sign-in they enrol again. Needs a reason; audited. False when there was nothing.

    ``actor`` None is the operator's command; a person needs ``reset_two_factor``, and every current role of
    ``user`` in their scope — and may not reset their own (that would let a stolen password past the second step)."""
    if actor is not None:
        from django.core.exceptions import PermissionDenied

        from linli.accounts.permissions import RESET_TWO_FACTOR, has_perm
        from linli.accounts.selectors import wholly_in_scope

        if not has_perm(actor, RESET_TWO_FACTOR) or not wholly_in_scope(actor, user):
            raise PermissionDenied
        if actor.pk == user.pk:
            raise ApplicationError(_("You cannot reset your own two-factor sign-in; ask the secretary above you."),
                                   field="username")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ApplicationError(_("Give the reason for the reset (at least 4 characters)."), field="reason")
    removed = TotpDevice.objects.filter(user=user).delete()[0]
    RecoveryCode.objects.filter(user=user, used_at__isnull=True).delete()
    audit(actor=actor, action="two_factor.reset", target=user, place_path=user_place_path(user),
          data={"reason": reason[:200], "had_device": bool(removed)})
    return bool(removed)


def invitation_print_record(*, actor, building: Place, count: int) -> None:
    """Printing a building's invitation cards is recorded (the cards let people claim households)."""
    audit(actor=actor, action="invitation.printed", target=building, place_path=building.path,
          data={"units": count})
