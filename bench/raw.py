"""The baseline of the dashboard benches: the figures computed from the raw cases, as if there were no rollups.

Django must be set up by the caller (``cases_bench.py``, ``rollup_bench.py``)."""


def raw_dashboard(user, by: str = "month"):
    """The dashboard's figures by ``by`` (month, category, handler, building) aggregated from the raw cases of
    ``user``'s scope in one GROUP BY, in the database: the baseline the rollups are measured against."""
    from django.db.models import Count, F, Q
    from django.db.models.functions import TruncMonth

    from linli.cases.models import Case
    from linli.core.scope import scope_q

    column = {"month": TruncMonth("created_at"), "category": F("category_id"), "handler": F("assignee_id"),
              "building": F("place__building_id")}[by]
    closed = Q(state="closed")
    return list(Case.objects.filter(scope_q(user)).annotate(key=column).values("key").annotate(
        reported=Count("id"), valid=Count("id", filter=~Q(state__in=["rejected", "merged"])),
        responded=Count("id", filter=Q(responded_at__lte=F("response_due_at"))),
        closed=Count("id", filter=closed),
        on_time=Count("id", filter=closed & Q(resolved_at__lte=F("resolution_due_at"))),
        rated=Count("id", filter=closed & ~Q(rating="")),
        satisfied=Count("id", filter=closed & Q(rating__in=["satisfied", "basic"])),
        reworked=Count("id", filter=closed & Q(reopen_count__gt=0)),
        inside=Count("id", filter=closed & Q(level__in=["building", "compound"])),
    ).order_by("key"))
