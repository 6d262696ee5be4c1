"""People who sign in, the roles they hold at a node of the place tree, and their API tokens."""

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in to Linli. What they may see comes from their :class:`RoleAssignment` rows only."""

    display_name = models.CharField(_("display name"), max_length=64, blank=True)

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


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the token itself is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=64)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
