"""The party organisation chain and the steward teams of a compound.

community party committee › compound branch › building party groups › anchor households (党员中心户), each looking
after the neighbouring households of its building; and the teams that serve the compound: red stewards (红管家),
property stewards (物管家), peacemakers (和事佬) and residents' representatives.

Every record repeats the ``path`` of the place it belongs to, so that selectors scope it with one prefix filter
(see :mod:`linli.core.scope`). Nothing is deleted: memberships, anchor households and team members end
(``ended_on`` with ``is_active`` kept in step / ``left_on``) and stay as history; every change is in the audit
trail. The database itself refuses a second active anchor for a household and a household looked after by two
anchors at once (partial unique constraints, on SQLite and PostgreSQL alike).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    """The levels of the party chain and the kind of place each sits at."""

    COMMITTEE = "committee", _("Community party committee")  # at a community
    BRANCH = "branch", _("Compound party branch")  # at a compound
    GROUP = "group", _("Building party group")  # at a building


#: The kind of place each level of the chain is held at, and the level of its parent.
ORG_PLACE_KIND = {OrgKind.COMMITTEE: "community", OrgKind.BRANCH: "compound", OrgKind.GROUP: "building"}
ORG_PARENT_KIND = {OrgKind.COMMITTEE: None, OrgKind.BRANCH: OrgKind.COMMITTEE, OrgKind.GROUP: OrgKind.BRANCH}


class PartyOrganisation(models.Model):
    """A party organisation at a node of the place tree: a community committee, a compound branch or a building group.

    ``secretary`` is the staff user who leads a committee or branch (a user who signs in); ``leader`` is the party
    member (a resident) who leads a building group. One active organisation of a kind per place.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=OrgKind.choices)
    name = models.CharField(_("name"), max_length=100)
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", verbose_name=_("place"))
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=255)
    secretary = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("secretary"))
    leader = models.ForeignKey("places.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("group leader"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("party organisation")
        verbose_name_plural = _("party organisations")
        ordering = ["path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "place"], condition=Q(is_active=True),
                                    name="org_one_active_per_kind_and_place"),
        ]
        indexes = [models.Index(fields=["path"], name="org_path_idx", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name


class MemberStatus(models.TextChoices):
    IN_SERVICE = "in_service", _("In service")
    RETIRED = "retired", _("Retired")
    STUDENT = "student", _("Student (青鸟)")


class PartyMembership(models.Model):
    """A resident's party membership as registered with the compound: status, branch and building group, when they
    joined, and — for in-service members — "dual registration" (双报到): the workplace unit that has reported to the
    community, and when. ``path`` is the resident's. One active membership per resident; an ended one is kept."""

    resident = models.ForeignKey("places.Resident", on_delete=models.PROTECT, related_name="party_memberships",
                                 verbose_name=_("resident"))
    status = models.CharField(_("status"), max_length=16, choices=MemberStatus.choices)
    organisation = models.ForeignKey(PartyOrganisation, on_delete=models.PROTECT, related_name="memberships",
                                     verbose_name=_("branch"))
    group = models.ForeignKey(PartyOrganisation, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="group_memberships", verbose_name=_("party group"))
    joined_on = models.DateField(_("joined the party"), null=True, blank=True)
    dual_registration_unit = models.CharField(_("dual registration: workplace"), max_length=100, blank=True)
    reported_on = models.DateField(_("dual registration: reported on"), null=True, blank=True)
    path = models.CharField(max_length=255)
    is_active = models.BooleanField(_("active"), default=True)
    ended_on = models.DateField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(_("reason"), max_length=200, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("party membership")
        verbose_name_plural = _("party memberships")
        ordering = ["path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["resident"], condition=Q(is_active=True),
                                    name="one_active_membership_per_resident"),
            # ``is_active`` is exactly "not ended", so the partial unique constraint above means "no end date".
            models.CheckConstraint(condition=Q(is_active=True, ended_on__isnull=True)
                                   | Q(is_active=False, ended_on__isnull=False),
                                   name="membership_active_iff_not_ended"),
        ]
        indexes = [models.Index(fields=["path"], name="membership_path_idx", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return f"{self.resident} · {self.get_status_display()}"

    @property
    def is_dual_registered(self) -> bool:
        return bool(self.dual_registration_unit)


class AnchorHousehold(models.Model):
    """A party member's household that looks after its neighbours (党员中心户): typically about ten households on
    its floors or entrance, all in the same building (:class:`AnchorCoverage`, one row per neighbour and stretch of
    time). One active anchor per household — the database refuses a second. ``path`` is the anchor household's;
    ``building`` its building, for grouping. Ending it (``ended_on``) ends its coverage too."""

    household = models.ForeignKey("places.Household", on_delete=models.PROTECT, related_name="anchor_roles",
                                  verbose_name=_("household"))
    member = models.ForeignKey(PartyMembership, on_delete=models.PROTECT, related_name="anchor_households",
                               verbose_name=_("party member"))
    building = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    since = models.DateField(_("since"), null=True, blank=True)
    ended_on = models.DateField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(_("reason"), max_length=200, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    is_active = models.BooleanField(_("active"), default=True)
    path = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("anchor household")
        verbose_name_plural = _("anchor households")
        ordering = ["path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=Q(is_active=True),
                                    name="one_active_anchor_per_household"),
            # ``is_active`` is exactly "not ended": the constraint above is "one anchor with no end date".
            models.CheckConstraint(condition=Q(is_active=True, ended_on__isnull=True)
                                   | Q(is_active=False, ended_on__isnull=False),
                                   name="anchor_active_iff_not_ended"),
        ]
        indexes = [models.Index(fields=["path"], name="anchor_path_idx", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return str(self.household.unit)

    @property
    def looked_after(self):
        """The households this anchor looks after now (a queryset; list pages prefetch ``current_coverages``)."""
        from linli.places.models import Household

        return Household.objects.filter(anchor_coverages__anchor=self, anchor_coverages__ended_on__isnull=True)


class AnchorCoverage(models.Model):
    """A household looked after by an anchor household, from ``since`` until ``ended_on``. A household is looked
    after by at most one anchor at a time: the database refuses a second open row (``ended_on`` null), so two
    people giving the same household to two anchors at once cannot both succeed. Rows are ended, never deleted."""

    anchor = models.ForeignKey(AnchorHousehold, on_delete=models.PROTECT, related_name="coverages",
                               verbose_name=_("anchor household"))
    household = models.ForeignKey("places.Household", on_delete=models.PROTECT, related_name="anchor_coverages",
                                  verbose_name=_("household"))
    since = models.DateField(_("since"))
    ended_on = models.DateField(_("ended"), null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    path = models.CharField(max_length=255)  # the looked-after household's
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("household looked after")
        verbose_name_plural = _("households looked after")
        ordering = ["path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=Q(ended_on__isnull=True),
                                    name="one_open_coverage_per_household"),
        ]
        indexes = [models.Index(fields=["path"], name="coverage_path_idx", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return f"{self.anchor} → {self.household.unit}"


class TeamKind(models.TextChoices):
    """The teams that serve a compound; each but the representatives maps to a staff role (``TEAM_ROLES``)."""

    RED = "red", _("Red stewards (红管家)")
    PROPERTY = "property", _("Property stewards (物管家)")
    PEACEMAKER = "peacemaker", _("Peacemakers (和事佬)")
    REPRESENTATIVES = "representatives", _("Residents' representatives")


class StewardTeam(models.Model):
    """A team of a compound: its members and the buildings each covers. ``path`` is the compound's."""

    kind = models.CharField(_("kind"), max_length=16, choices=TeamKind.choices)
    compound = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("compound"))
    name = models.CharField(_("name"), max_length=100)
    path = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("steward team")
        verbose_name_plural = _("steward teams")
        ordering = ["path", "kind", "id"]
        constraints = [models.UniqueConstraint(fields=["compound", "kind"], name="one_team_per_kind_and_compound")]
        indexes = [models.Index(fields=["path"], name="team_path_idx", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name


class StewardTeamMember(models.Model):
    """Someone serving on a team for a stretch of time: a staff user, a resident, or both (or, for outside staff
    with no account yet, a name only). ``buildings`` are the buildings they cover (none: the whole compound).
    A member who leaves keeps the row with ``left_on``; ``role_assignments`` are the roles the membership granted
    (ended when they leave), so that routing "to the property stewards of this compound" reads role assignments."""

    team = models.ForeignKey(StewardTeam, on_delete=models.PROTECT, related_name="members", verbose_name=_("team"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="team_memberships", verbose_name=_("user"))
    resident = models.ForeignKey("places.Resident", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="team_memberships", verbose_name=_("resident"))
    display_name = models.CharField(_("name"), max_length=64)
    duty = models.CharField(_("duty"), max_length=64, blank=True)
    buildings = models.ManyToManyField("places.Place", related_name="+", blank=True, verbose_name=_("buildings"))
    role_assignments = models.ManyToManyField("accounts.RoleAssignment", related_name="+", blank=True)
    joined_on = models.DateField(_("joined"))
    left_on = models.DateField(_("left"), null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    path = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["team_id", "left_on", "display_name", "id"]
        constraints = [
            # Someone is on a team once at a time; two people adding them at once cannot both succeed.
            models.UniqueConstraint(fields=["team", "user"], condition=Q(left_on__isnull=True, user__isnull=False),
                                    name="one_current_team_membership_per_user"),
            models.UniqueConstraint(fields=["team", "resident"],
                                    condition=Q(left_on__isnull=True, resident__isnull=False),
                                    name="one_current_team_membership_per_resident"),
        ]
        indexes = [models.Index(fields=["path"], name="team_member_path_idx", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_current(self) -> bool:
        return self.left_on is None
