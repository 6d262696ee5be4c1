"""The shared kernel: the audit trail every service writes to, and the base of hashed client keys."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.db import CompiledQuery, fields_with, instance_from
from linli.core.scope import remember_role_paths, role_rows_json


class AuditEvent(models.Model):
    """One thing that happened: who did what to which record, when, from where, and what changed.

    Append-only: nothing updates or deletes these rows. ``place_path`` is the materialised path of the place the
    record belongs to, so that audit views can be scoped like everything else.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    place_path = models.CharField(max_length=255, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_type}:{self.target_id}"


class HashedKey(models.Model):
    """A secret a client presents (an API token, an Open311 key): only its SHA-256 is stored, the key is shown once.

    Concrete models add the ``user`` the key acts as. :meth:`find_live` is the one way to look a key up.
    """

    name = models.CharField(_("name"), max_length=64)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def find_live(cls, key: str):
        """The unrevoked key matching ``key`` whose user is active (loaded with it, and with the user's current
        roles: every call with a key checks scope next), or None; marks it used (at most once a minute, so that a
        busy client does not write on every request). One read whose SQL is compiled once per process (every API
        call starts here)."""
        if not key:
            return None
        query = cls.__dict__.get("_live_query")
        if query is None:
            fields = [*fields_with(cls, related=("user",)), "user_roles"]
            query = cls._live_query = CompiledQuery(
                lambda key_hash: cls._live_queryset(key_hash).values_list(*fields), "\x1f\x1e-key-hash")
        rows = query.rows(cls.hash_key(key))
        if not rows:
            return None
        row = instance_from(cls, rows[0][:-1], related=("user",))
        remember_role_paths(row.user, rows[0][-1] or [])
        now = timezone.now()
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            cls.objects.filter(pk=row.pk).update(last_used_at=now)
        return row

    @classmethod
    def _live_queryset(cls, key_hash: str):
        """The live key of this hash, with its user's current role rows as one JSON list (``user_roles``, see
        :func:`linli.core.scope.role_rows_json`): no second round trip for them."""
        return (cls.objects.filter(key_hash=key_hash, revoked_at__isnull=True, user__is_active=True)
                .annotate(user_roles=role_rows_json(OuterRef("user_id"))))
