"""The register: the place tree and who lives or trades where.

Everything else in Linli hangs its records on a :class:`Place` and is scoped by the place's materialised ``path``:
a role held at a node reaches every record whose path starts with the node's path — one indexed prefix query,
however large the city.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linli.core import crypto


class PlaceKind(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    COMPOUND = "compound", _("Compound")
    BUILDING = "building", _("Building")
    ENTRANCE = "entrance", _("Entrance")
    UNIT = "unit", _("Unit")


#: The order of the tree, top to bottom; a child's kind comes after its parent's.
KIND_ORDER = [k.value for k in PlaceKind]


class UnitUse(models.TextChoices):
    DWELLING = "dwelling", _("Dwelling")
    SHOP = "shop", _("Shop")


class Occupancy(models.TextChoices):
    """How a unit is used now. ``shop`` belongs to shop units; the others to dwellings."""

    OWNER_OCCUPIED = "owner_occupied", _("Owner-occupied")
    RENTED = "rented", _("Rented")
    VACANT = "vacant", _("Vacant")
    SHOP = "shop", _("Shop")


class Place(models.Model):
    """A node of the place tree: city › district › street › community › compound › building › entrance › unit.

    ``path`` is the chain of codes from the root, each followed by ``/`` (``370200/370212/…/LZSY/1/2/1502/``).
    Attributes that only some kinds have are nullable: ``area_m2`` (a compound's land area, a unit's floor area),
    ``built_year`` (compound), ``floors`` (building), ``floor``, ``use`` and ``occupancy`` (unit). A unit's
    ``occupancy`` is kept by the household services so that the register's figures are one aggregate query.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=PlaceKind.choices, db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    path = models.CharField(max_length=255, unique=True)
    depth = models.PositiveSmallIntegerField(default=0)
    # The compound a node belongs to (itself for a compound; empty above compounds): figures for many compounds
    # are then one GROUP BY instead of a query per compound.
    compound = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Likewise the building a node belongs to (itself for a building), so a compound's buildings list their
    # figures in one grouped query.
    building = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="building_members"
    )
    area_m2 = models.DecimalField(_("area (m²)"), max_digits=12, decimal_places=2, null=True, blank=True)
    built_year = models.PositiveSmallIntegerField(_("year built"), null=True, blank=True)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)
    use = models.CharField(_("use"), max_length=16, choices=UnitUse.choices, blank=True)
    occupancy = models.CharField(_("occupancy"), max_length=16, choices=Occupancy.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "code"], name="place_code_unique_among_siblings"),
        ]
        indexes = [
            # PostgreSQL needs the pattern opclass for ``LIKE 'prefix%'`` to use an index; SQLite ignores it.
            models.Index(fields=["path"], name="place_path_prefix_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["kind", "use", "occupancy"], name="place_kind_use_occ_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_unit(self) -> bool:
        return self.kind == PlaceKind.UNIT


class Grid(models.Model):
    """A grid (网格) of a compound: a set of buildings looked after by one grid worker."""

    compound = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="grids")
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=100)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grids",
        verbose_name=_("grid worker"),
    )
    buildings = models.ManyToManyField(Place, related_name="grid_memberships", verbose_name=_("buildings"))

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["compound_id", "number"]
        constraints = [models.UniqueConstraint(fields=["compound", "number"], name="grid_number_unique")]

    def __str__(self) -> str:
        return self.name


class Household(models.Model):
    """The people of a unit for a stretch of time: an owner's family or a tenancy.

    A unit has at most one current household; when it moves out it ends (``ended_on``) and stays in the history.
    ``path`` repeats the unit's path so that scoped lists need no join.
    """

    unit = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="households")
    path = models.CharField(max_length=255)
    occupancy = models.CharField(_("occupancy"), max_length=16, choices=Occupancy.choices)
    is_current = models.BooleanField(_("current"), default=True)
    started_on = models.DateField(_("moved in"), null=True, blank=True)
    ended_on = models.DateField(_("moved out"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["path", "-started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"], condition=Q(is_current=True), name="one_current_household_per_unit"
            )
        ]
        indexes = [
            models.Index(fields=["path"], name="household_path_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.unit} ({self.get_occupancy_display()})"


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident ID card")
    PASSPORT = "passport", _("Passport")
    HK_MACAO = "hk_macao", _("Hong Kong/Macao permit")
    TAIWAN = "taiwan", _("Taiwan permit")
    FOREIGN_PR = "foreign_pr", _("Foreign permanent resident ID")
    OTHER = "other", _("Other")


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Sibling")
    TENANT = "tenant", _("Tenant")
    OTHER = "other", _("Other")


class Registration(models.TextChoices):
    REGISTERED = "registered", _("Registered (户籍)")
    FLOATING = "floating", _("Floating (流动)")


class Tag(models.TextChoices):
    """Tags that decide who gets care and who serves. ``aged 80+`` is computed from the birth date, not tagged."""

    LIVING_ALONE = "living_alone", _("Living alone")
    DISABLED = "disabled", _("Disabled")
    CHRONIC_ILLNESS = "chronic_illness", _("Chronic illness")
    PARTY_IN_SERVICE = "party_in_service", _("Party member (in service)")
    PARTY_RETIRED = "party_retired", _("Party member (retired)")
    PARTY_STUDENT = "party_student", _("Party member (student)")
    VETERAN = "veteran", _("Veteran")
    LOW_INCOME = "low_income", _("Low income")


#: Tags that put a resident on the care roster (together with age 80+).
CARE_TAGS = [Tag.LIVING_ALONE, Tag.DISABLED, Tag.CHRONIC_ILLNESS]


class Resident(models.Model):
    """A person living in a unit, as part of a household.

    ID and phone numbers are held encrypted, as a keyed hash (for exact search) and masked (for display); see
    :mod:`linli.core.crypto`. A resident who moves out keeps their row with ``moved_out_on`` set.
    """

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="residents")
    unit = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="residents")
    path = models.CharField(max_length=255)
    name = models.CharField(_("name"), max_length=64, db_index=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    id_type = models.CharField(_("ID type"), max_length=16, choices=IdType.choices, default=IdType.RESIDENT_ID)
    id_number_encrypted = models.TextField(blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True)
    id_number_masked = models.CharField(_("ID number"), max_length=32, blank=True)
    phone_encrypted = models.TextField(blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("mobile phone"), max_length=20, blank=True)
    relation = models.CharField(_("relation to head"), max_length=16, choices=Relation.choices)
    registration = models.CharField(_("registration"), max_length=16, choices=Registration.choices)
    moved_in_on = models.DateField(_("moved in"), null=True, blank=True)
    moved_out_on = models.DateField(_("moved out"), null=True, blank=True)
    is_current = models.BooleanField(_("current"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["path", "id"]
        indexes = [
            models.Index(fields=["path"], name="resident_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["is_current", "birth_date"], name="resident_current_birth_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def set_id_number(self, value: str) -> None:
        self.id_number_encrypted = crypto.encrypt(value)
        self.id_number_hash = crypto.keyed_hash(value)
        self.id_number_masked = crypto.mask_id_number(value)

    def set_phone(self, value: str) -> None:
        self.phone_encrypted = crypto.encrypt(value)
        self.phone_hash = crypto.keyed_hash(value)
        self.phone_masked = crypto.mask_phone(value)

    @property
    def tag_values(self) -> list[str]:
        """Tag codes; uses the prefetch cache when the caller prefetched ``tags``."""
        return [t.tag for t in self.tags.all()]


class ResidentTag(models.Model):
    """One tag on one resident (a row per tag, so that "everyone living alone" is an indexed query)."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="tags")
    tag = models.CharField(_("tag"), max_length=32, choices=Tag.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resident", "tag"], name="resident_tag_unique")]
        indexes = [models.Index(fields=["tag"], name="resident_tag_idx")]

    def __str__(self) -> str:
        return self.get_tag_display()


class Merchant(models.Model):
    """A business trading from a shop unit of a compound (商户)."""

    unit = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="merchants")
    path = models.CharField(max_length=255)
    name = models.CharField(_("name"), max_length=100, db_index=True)
    trade = models.CharField(_("trade"), max_length=50)
    licence_number = models.CharField(_("licence number"), max_length=32, blank=True)
    contact_name = models.CharField(_("contact"), max_length=64, blank=True)
    contact_phone_encrypted = models.TextField(blank=True)
    contact_phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    contact_phone_masked = models.CharField(_("contact phone"), max_length=20, blank=True)
    opened_on = models.DateField(_("opened"), null=True, blank=True)
    closed_on = models.DateField(_("closed"), null=True, blank=True)
    is_active = models.BooleanField(_("trading"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["path", "name"]
        indexes = [
            models.Index(fields=["path"], name="merchant_path_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.name

    def set_contact_phone(self, value: str) -> None:
        self.contact_phone_encrypted = crypto.encrypt(value)
        self.contact_phone_hash = crypto.keyed_hash(value)
        self.contact_phone_masked = crypto.mask_phone(value)


class ImportKind(models.TextChoices):
    """What an Excel import or export holds: one list of the register."""

    BUILDINGS = "buildings", _("Buildings")
    UNITS = "units", _("Units")
    HOUSEHOLDS = "households", _("Households")
    RESIDENTS = "residents", _("Residents")
    MERCHANTS = "merchants", _("Merchants")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")  # saved, waiting for the worker
    VALIDATING = "validating", _("Checking")  # pass 1: every row is checked, nothing written
    WRITING = "writing", _("Writing")  # pass 2: all rows written in one transaction
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")  # with the row-by-row report in ``errors``; nothing was written


def import_upload_to(instance, filename: str) -> str:
    """Uploaded workbooks get a random name under ``MEDIA_ROOT/imports/`` (the user's name is kept on the job)."""
    import uuid

    return f"imports/{uuid.uuid4().hex}.xlsx"


class ImportJob(models.Model):
    """One Excel import into a compound's register, run in the background (see :mod:`linli.places.tasks`).

    All-or-nothing: the rows are all checked first (``processed_rows`` counts them, for the progress bar), and only
    a file without a single error is written, in one transaction. ``errors`` is the report: a list of
    ``{"row", "column", "message"}`` in the language of the person who uploaded (``language``). The uploaded file is
    deleted once the job has finished, so that plain personal numbers do not stay on disk.
    """

    compound = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="import_jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    original_filename = models.CharField(_("file name"), max_length=255)
    file = models.FileField(upload_to=import_upload_to, max_length=255, blank=True)
    language = models.CharField(max_length=16, default="zh-hans")
    status = models.CharField(_("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    total_rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    created_count = models.PositiveIntegerField(_("records created"), default=0)
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_filename}"

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.VALIDATING, ImportStatus.WRITING)

    @property
    def percent(self) -> int:
        """How far the job has got, 0–100, for the progress bar."""
        if self.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return 100
        if self.status == ImportStatus.WRITING:
            return 100
        if not self.total_rows:
            return 0
        return min(100, int(100 * self.processed_rows / self.total_rows))
