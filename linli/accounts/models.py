"""People who sign in, the roles they hold at a node of the place tree, and their API tokens."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from linli.core.models import HashedKey


class User(AbstractUser):
    """A person who signs in to Linli. What they may see comes from their :class:`RoleAssignment` rows only."""

    display_name = models.CharField(_("display name"), max_length=64, blank=True)
    # A resident's own account (signed in by phone code or invitation): no staff role, no password, sees /me/ only.
    is_resident = models.BooleanField(_("resident account"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


class Role(models.TextChoices):
    """Staff roles. Each is held at a kind of place node (``linli.accounts.services.ROLE_PLACE_KINDS``)."""

    CITY_ADMIN = "city_admin", _("City administrator")
    STREET_OFFICER = "street_officer", _("Street officer")
    COMMUNITY_SECRETARY = "community_secretary", _("Community party secretary")
    COMMUNITY_STAFF = "community_staff", _("Community staff (residents' committee)")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    BRANCH_SECRETARY = "branch_secretary", _("Compound branch secretary")
    BRANCH_ASSISTANT = "branch_assistant", _("Branch secretary's assistant")
    GRID_WORKER = "grid_worker", _("Grid worker")
    PROPERTY_STEWARD = "property_steward", _("Property steward")
    PEACEMAKER = "peacemaker", _("Peacemaker")
    RED_STEWARD = "red_steward", _("Red steward")
    GROUP_LEADER = "group_leader", _("Building party group leader")


class RoleAssignment(models.Model):
    """A role held by a user at a place node; it reaches that node's subtree.

    A grid worker's role is held at the compound *and* names a grid: it reaches the grid's buildings only.
    Ended assignments (``ended_at``) are kept as history and grant nothing.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", verbose_name=_("place"))
    grid = models.ForeignKey(
        "places.Grid", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("grid")
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user_id", "id"]

    def __str__(self) -> str:
        where = self.grid.name if self.grid_id else self.place.name
        return f"{self.get_role_display()} · {where}"


class ApiToken(HashedKey):
    """A bearer token for the JSON API (see :class:`linli.core.models.HashedKey`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")


class LinkMethod(models.TextChoices):
    PHONE = "phone", _("Mobile phone code")
    INVITATION = "invitation", _("Invitation code")


class ResidentLink(models.Model):
    """A resident account linked to the resident record it belongs to — made only when the phone number or the
    household's invitation code matched the register. One link per resident; kept (``ended_at``) when undone."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="resident_links")
    resident = models.ForeignKey("places.Resident", on_delete=models.PROTECT, related_name="account_links")
    method = models.CharField(_("linked by"), max_length=16, choices=LinkMethod.choices)
    linked_at = models.DateTimeField(_("linked"), auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("resident account link")
        verbose_name_plural = _("resident account links")
        constraints = [
            models.UniqueConstraint(fields=["resident"], condition=models.Q(ended_at__isnull=True),
                                    name="one_active_link_per_resident"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.resident}"


class InvitationCode(models.Model):
    """A household's invitation code (one active per unit), printed on a card for the grid worker to hand out.

    Claimed once: the resident enters it with their phone number, which must be a current resident's of the unit.
    """

    unit = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="invitation_codes")
    path = models.CharField(max_length=255)
    code = models.CharField(_("invitation code"), max_length=8, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    used_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation code")
        verbose_name_plural = _("invitation codes")
        ordering = ["path", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["unit"], condition=models.Q(used_at__isnull=True, revoked_at__isnull=True),
                                    name="one_active_invitation_per_unit"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_active(self) -> bool:
        return self.used_at is None and self.revoked_at is None


class SignInCode(models.Model):
    """A one-time sign-in code sent to a phone (only its hash is kept). Also the rate-limit ledger of code requests:
    a row is written for every accepted request, even for a phone not in the register (no code is sent then)."""

    phone_hash = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    resident = models.ForeignKey("places.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"sign-in code {self.created_at:%Y-%m-%d %H:%M}"


class AttemptKind(models.TextChoices):
    PASSWORD = "password", _("Password sign-in")
    PHONE_CODE = "phone_code", _("Phone code")
    INVITATION = "invitation", _("Invitation claim")
    TOTP = "totp", _("Two-factor code")


class SignInAttempt(models.Model):
    """Every sign-in attempt, kept to count failures for lock-out and rate limits (rows in the database, so that
    the limits hold across several web processes). The audit trail records the same attempts for people to read."""

    kind = models.CharField(max_length=16, choices=AttemptKind.choices)
    username = models.CharField(max_length=150, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "ip_address", "created_at"], name="attempt_ip_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.username} {'ok' if self.succeeded else 'failed'}"


class TotpDevice(models.Model):
    """A user's authenticator app (TOTP, RFC 6238). The secret is encrypted at rest like other personal data;
    the device counts once confirmed with a first code."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device")
    secret_encrypted = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(default=0)  # a code is accepted once (no replay within its window)

    def __str__(self) -> str:
        return f"TOTP · {self.user}"


class RecoveryCode(models.Model):
    """One of a user's one-time codes for two-factor sign-in without the phone (lost, broken, left at home). Only a
    keyed hash is kept: the codes are shown once, when made. A used code keeps its row, dated, for the record."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique")]

    def __str__(self) -> str:
        return f"recovery code · {self.user}"


class RateLimitKey(models.Model):
    """One row per rate-limited key (a phone number, a username or a client address, kept as a keyed hash): a
    request locks its row before it counts earlier attempts and records its own, so that two requests arriving at
    once cannot both pass a limit (``linli.accounts.ratelimit.hold``). ``touched_at``: the last time it was used;
    rows untouched for a day lock nothing anyone waits for and may be deleted."""

    key = models.CharField(max_length=64, unique=True)
    touched_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"rate limit {self.key[:8]}…"
