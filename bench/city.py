# ruff: noqa: S608  (table names come from the models' _meta and sizes from constants; values are parameters)
"""A city's worth of data, written by PostgreSQL itself: ``INSERT … SELECT FROM generate_series(…)``.

Qingdao is about 4 M households. The city here is synthetic compounds beside the demo compound (龙泽书苑): 10
districts of the city 370200 (崂山区 is the demo's), 10 streets each, 4 communities a street, 5 compounds a
community — 2 000 compounds for 4 M households. The demo's street 沙子口街道 is the first street filled, so a small
city puts its compounds there (the street officer's dashboard then covers them); the demo's own community gets none.
A compound has 21 buildings × 2 entrances × 18 floors × 3 dwellings (2 268 units), the vacancy set so that the
households add up to the target, one :class:`~linli.places.models.Household` per lived-in unit (no residents:
nothing measured here reads them). Each compound has a property steward, a red steward and a peacemaker, each
community one community-staff member (users without a usable password), so that cases have handlers of their area.

Cases (:func:`fill_cases`) are drawn like ``bench/cases_bench.py``'s former Python fill, made a little more like a
city: a household's unit picked at random (55 % of cases on the unit, 30 % on its building, 15 % on a public spot of
the compound), the category by the demo's weights with its route (level, role) and deadlines, 95 % closed and 2 %
rejected over the last two years, 3 % open (in every open state, reported in the last 30 days), each with its
submit / accept / close (or reject) events — 2–3 events a case. Every statement is one chunk, committed, and the
position is kept in the table ``bench_meta``, so that a fill stopped half-way goes on where it stopped.

The model's indexes are what production has, and the pages are measured on them. A fill that more than doubles the
cases drops the secondary indexes of the cases and their events and builds them again at its end (``fill_cases``);
``pages`` builds any that an interrupted fill left missing before it measures.
"""

import json
import math
import sys
import time

from django.db import connection, transaction

#: (code, name) of the districts; the first is the demo's.
DISTRICTS = [
    ("370212", "崂山区"), ("370202", "市南区"), ("370203", "市北区"), ("370211", "黄岛区"), ("370213", "李沧区"),
    ("370214", "城阳区"), ("370215", "即墨区"), ("370281", "胶州市"), ("370283", "平度市"), ("370285", "莱西市"),
]
DEMO_STREET = "370212003"
PER_COMMUNITY, PER_STREET, PER_DISTRICT = 5, 4, 10
BUILDINGS, ENTRANCES, FLOORS, PER_FLOOR = 21, 2, 18, 3
UNITS_PER_COMPOUND = BUILDINGS * ENTRANCES * FLOORS * PER_FLOOR
HOUSEHOLDS_PER_COMPOUND = 2000
#: compound roles with a synthetic user each (the routes of the demo's categories use these at compound level)
COMPOUND_ROLES = [("property_steward", "物业管家"), ("red_steward", "红色管家"), ("peacemaker", "和事佬")]
SPOTS = ["gate", "garage", "garden", "lift", "stairwell", "road", "square", "bike_shed", "bins", "fence"]
CHUNK = 1_000_000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def tables() -> dict[str, str]:
    from linli.accounts.models import RoleAssignment, User
    from linli.cases.models import Case, CaseEvent
    from linli.places.models import Household, Place

    return {"place": Place._meta.db_table, "household": Household._meta.db_table, "user": User._meta.db_table,
            "role": RoleAssignment._meta.db_table, "case": Case._meta.db_table, "event": CaseEvent._meta.db_table}


def meta_get(key: str, default=None):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)")
        cursor.execute("SELECT value FROM bench_meta WHERE key = %s", [key])
        row = cursor.fetchone()
    return row[0] if row else default


def meta_set(key: str, value) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)")
        cursor.execute("INSERT INTO bench_meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                       [key, str(value)])


def session_settings() -> None:
    """For this connection only: no wait for the WAL flush at each commit (a crash loses the last chunk, which is
    then filled again), and memory for the sorts and hashes of a million-row statement."""
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        # The rows come from joins on the rows they refer to, so the foreign-key triggers (four index look-ups
        # per case) are skipped while filling; the constraints stay declared.
        cursor.execute("SET session_replication_role = replica")


def layout(compounds: int) -> list[tuple[int, int, int, int]]:
    """Compound j → (district, street, community, j): 5 compounds a community, 4 a street, 10 a district."""
    rows = []
    for j in range(compounds):
        community = j // PER_COMMUNITY
        street = community // PER_STREET
        rows.append((street // PER_DISTRICT, street % PER_DISTRICT, community % PER_STREET, j))
    return rows


def _child(parent, kind, code, name):
    """The child ``code`` of ``parent``, created when missing (the few hundred nodes above the compounds)."""
    from linli.places.models import Place

    place = Place.objects.filter(parent=parent, code=code).first()
    if place is None:
        place = Place.objects.create(kind=kind, parent=parent, code=code, name=name, path=f"{parent.path}{code}/",
                                     depth=parent.depth + 1)
    return place


@transaction.atomic
def ensure_tree(compounds: int) -> None:
    """Districts, streets, communities, compounds, buildings and entrances, and the handlers of each compound."""
    from linli.places.demo import demo_compound
    from linli.places.models import Place, PlaceKind

    t = tables()
    city = demo_compound().parent.parent.parent.parent
    demo_street = Place.objects.get(parent__parent=city, code=DEMO_STREET)
    parents, communities = [], {}
    for d, s, m, j in layout(compounds):
        if d >= len(DISTRICTS):
            raise SystemExit(f"more than {len(DISTRICTS) * PER_DISTRICT * PER_STREET * PER_COMMUNITY} compounds")
        key = (d, s, m)
        if key not in communities:
            dcode, dname = DISTRICTS[d]
            district = _child(city, PlaceKind.DISTRICT, dcode, dname)
            street = demo_street if (d, s) == (0, 0) else _child(
                district, PlaceKind.STREET, f"{dcode}{100 + s:03d}", f"{dname}第{s + 1}街道")
            communities[key] = _child(street, PlaceKind.COMMUNITY, f"{street.code}{900 + m:03d}", f"基准{m + 1}社区")
        community = communities[key]
        parents.append((community.pk, f"QD{j:05d}", f"基准小区{j:05d}", community.path, community.depth))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [t["place"]])
        seq = cursor.fetchone()[0]
        cursor.execute(f"""
            INSERT INTO {t['place']} (id, kind, parent_id, code, name, path, depth, compound_id, building_id,
                area_m2, built_year, floors, floor, use, occupancy, created_at)
            SELECT id, 'compound', parent_id, code, name, ppath || code || '/', pdepth + 1, id, NULL,
                60000, 1995 + id %% 30, NULL, NULL, '', '', now()
            FROM (SELECT nextval(%s) AS id, t.* FROM unnest(%s::int[], %s::text[], %s::text[], %s::text[], %s::int[])
                  AS t(parent_id, code, name, ppath, pdepth)
                  WHERE NOT EXISTS (SELECT 1 FROM {t['place']} p WHERE p.parent_id = t.parent_id
                                    AND p.code = t.code)) s""",
                       [seq, *map(list, zip(*parents, strict=True))])
        new = cursor.rowcount
        ids = list(Place.objects.filter(kind=PlaceKind.COMPOUND, code__startswith="QD", path__in=[
            f"{p[3]}{p[1]}/" for p in parents]).values_list("pk", flat=True))
        # Buildings, then entrances, of the compounds that have none yet (a building is its own ``building``).
        cursor.execute(f"""
            INSERT INTO {t['place']} (id, kind, parent_id, code, name, path, depth, compound_id, building_id,
                area_m2, built_year, floors, floor, use, occupancy, created_at)
            SELECT id, 'building', cid, b::text, b || '号楼', cpath || b || '/', cdepth + 1, cid, id,
                NULL, NULL, {FLOORS}, NULL, '', '', now()
            FROM (SELECT nextval(%s) AS id, c.id AS cid, c.path AS cpath, c.depth AS cdepth, b
                  FROM {t['place']} c CROSS JOIN generate_series(1, {BUILDINGS}) b
                  WHERE c.id = ANY(%s) AND NOT EXISTS (
                      SELECT 1 FROM {t['place']} x WHERE x.parent_id = c.id AND x.kind = 'building')
                  ORDER BY c.path, b) s""", [seq, ids])
        cursor.execute(f"""
            INSERT INTO {t['place']} (kind, parent_id, code, name, path, depth, compound_id, building_id,
                area_m2, built_year, floors, floor, use, occupancy, created_at)
            SELECT 'entrance', b.id, e::text, e || '单元', b.path || e || '/', b.depth + 1, b.compound_id, b.id,
                NULL, NULL, NULL, NULL, '', '', now()
            FROM {t['place']} b CROSS JOIN generate_series(1, {ENTRANCES}) e
            WHERE b.compound_id = ANY(%s) AND b.kind = 'building' AND NOT EXISTS (
                SELECT 1 FROM {t['place']} x WHERE x.parent_id = b.id)
            ORDER BY b.path, e""", [ids])
        # The handlers: users without a usable password, with their role at the compound (or community).
        cursor.execute(f"""
            INSERT INTO {t['user']} (password, last_login, is_superuser, username, first_name, last_name, email,
                is_staff, is_active, date_joined, display_name, is_resident)
            SELECT '!bench', NULL::timestamptz, false, 'qd_' || lower(c.code) || '_' || r.role, '', '', '',
                false, true, now(), r.title || ' ' || c.name, false
            FROM {t['place']} c CROSS JOIN unnest(%s::text[], %s::text[]) AS r(role, title)
            WHERE c.id = ANY(%s)
            UNION ALL
            SELECT DISTINCT '!bench', NULL::timestamptz, false, 'qd_' || m.code || '_community_staff', '', '', '',
                false, true, now(), '社区居委会 ' || m.name, false
            FROM {t['place']} c JOIN {t['place']} m ON m.id = c.parent_id WHERE c.id = ANY(%s)
            ON CONFLICT (username) DO NOTHING""",
                       [[r for r, _n in COMPOUND_ROLES], [n for _r, n in COMPOUND_ROLES], ids, ids])
        cursor.execute(f"""
            INSERT INTO {t['role']} (user_id, role, place_id, grid_id, granted_at, ended_at)
            SELECT u.id, r.role, c.id, NULL::integer, now(), NULL::timestamptz
            FROM {t['place']} c CROSS JOIN unnest(%s::text[]) AS r(role)
            JOIN {t['user']} u ON u.username = 'qd_' || lower(c.code) || '_' || r.role
            WHERE c.id = ANY(%s) AND NOT EXISTS (SELECT 1 FROM {t['role']} x WHERE x.user_id = u.id)
            UNION ALL
            SELECT DISTINCT u.id, 'community_staff', m.id, NULL::integer, now(), NULL::timestamptz
            FROM {t['place']} c JOIN {t['place']} m ON m.id = c.parent_id
            JOIN {t['user']} u ON u.username = 'qd_' || m.code || '_community_staff'
            WHERE c.id = ANY(%s) AND NOT EXISTS (SELECT 1 FROM {t['role']} x WHERE x.user_id = u.id)""",
                       [[r for r, _n in COMPOUND_ROLES], ids, ids])
    log(f"  tree: {len(ids)} compounds ({new} new), {len(communities)} communities")


def fill_households(households: int, batch: int = 40) -> None:
    """Units and one household per lived-in unit, ``batch`` compounds a statement (each committed)."""
    from linli.places.models import Place, PlaceKind

    t = tables()
    compounds = max(1, round(households / HOUSEHOLDS_PER_COMPOUND))
    # The share of vacant units that makes the households add up to the target (a city's is around 10 %).
    vacant = min(max(1 - households / (compounds * UNITS_PER_COMPOUND), 0.0), 0.5)
    ensure_tree(compounds)
    meta_set("households_target", households)
    meta_set("vacant_share", vacant)
    todo = list(Place.objects.filter(kind=PlaceKind.COMPOUND, code__startswith="QD").exclude(
        pk__in=Place.objects.filter(kind=PlaceKind.UNIT, compound__code__startswith="QD").values("compound_id"))
        .order_by("path").values_list("pk", flat=True))
    if meta_get("household_first") is None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {t['household']}")
            meta_set("household_first", cursor.fetchone()[0])
    started, done_units, done_households = time.perf_counter(), 0, 0
    for k in range(0, len(todo), batch):
        ids = todo[k:k + batch]
        with transaction.atomic(), connection.cursor() as cursor:
            # The units and their households in one statement: the households are the inserted lived-in units.
            cursor.execute(f"""
                WITH u AS (
                    INSERT INTO {t['place']} (kind, parent_id, code, name, path, depth, compound_id, building_id,
                        area_m2, built_year, floors, floor, use, occupancy, created_at)
                    SELECT 'unit', e.id, x.room, b.code || '-' || e.code || '-' || x.room, e.path || x.room || '/',
                        e.depth + 1, e.compound_id, e.building_id, (ARRAY[68, 89, 96, 112, 128, 143])[1 + k %% 6],
                        NULL, NULL, f, 'dwelling',
                        CASE WHEN x.r < %(vacant)s THEN 'vacant' WHEN x.r < %(vacant)s + 0.32 THEN 'rented'
                             ELSE 'owner_occupied' END, now()
                    FROM {t['place']} e JOIN {t['place']} b ON b.id = e.building_id
                    CROSS JOIN generate_series(1, {FLOORS}) f CROSS JOIN generate_series(1, {PER_FLOOR}) k
                    CROSS JOIN LATERAL (SELECT f || lpad(k::text, 2, '0') AS room, random() + 0 * f AS r) x
                    WHERE e.compound_id = ANY(%(ids)s) AND e.kind = 'entrance'
                    ORDER BY e.path, f, k
                    RETURNING id, path, occupancy)
                INSERT INTO {t['household']} (unit_id, path, occupancy, is_current, started_on, ended_on, note,
                    created_at)
                SELECT id, path, occupancy, true, CASE WHEN occupancy = 'rented'
                    THEN date '2023-04-01' + (random() * 900)::int ELSE date '2014-01-01' + (random() * 4000)::int
                    END, NULL, '', now()
                FROM u WHERE occupancy <> 'vacant'""", {"vacant": vacant, "ids": ids})
            done_households += cursor.rowcount
        done_units += len(ids) * UNITS_PER_COMPOUND
        seconds = time.perf_counter() - started
        log(f"  households: {k + len(ids)}/{len(todo)} compounds, {done_units} units, {done_households} households,"
            f" {(done_units + done_households) / seconds:,.0f} rows/s")


def _categories(cursor) -> None:
    """A temporary table of the categories with their cumulative weight, route and deadlines (the demo's)."""
    from linli.cases.demo import CATEGORIES, CATEGORY_WEIGHTS, ROUTES
    from linli.cases.models import Category

    ids = dict(Category.objects.values_list("code", "pk"))
    total = sum(CATEGORY_WEIGHTS.values())
    rows, low = [], 0.0
    for code, zh, _en, _dispute, priority, (hours, days) in CATEGORIES:
        high = low + CATEGORY_WEIGHTS[code] / total
        level, role = ROUTES[code]
        rows.append((ids[code], low, 1.0 if code == CATEGORIES[-1][0] else high, str(level), str(role),
                     str(priority), hours, math.ceil(days * 7 / 5), zh))
        low = high
    cursor.execute("""DROP TABLE IF EXISTS bench_category; CREATE TEMP TABLE bench_category (
        id int, lo float8, hi float8, level text, role text, priority text, hours int, days int, name text)""")
    cursor.executemany("INSERT INTO bench_category VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)


def _handlers(cursor, t) -> None:
    cursor.execute(f"""DROP TABLE IF EXISTS bench_handler; CREATE TEMP TABLE bench_handler AS
        SELECT r.place_id, r.role, r.user_id FROM {t['role']} r JOIN {t['user']} u ON u.id = r.user_id
        WHERE u.username LIKE 'qd\\_%' AND r.ended_at IS NULL;
        CREATE UNIQUE INDEX ON bench_handler (place_id, role); ANALYZE bench_handler""")


#: The state of a case from its two draws: 95 % closed, 2 % rejected, 3 % open spread over the open states.
STATE_SQL = """CASE WHEN r_state < 0.95 THEN 'closed' WHEN r_state < 0.97 THEN 'rejected'
    WHEN r_sub < 0.08 THEN 'submitted' WHEN r_sub < 0.15 THEN 'accepted' WHEN r_sub < 0.30 THEN 'dispatched'
    WHEN r_sub < 0.75 THEN 'in_progress' WHEN r_sub < 0.80 THEN 'waiting_reporter' WHEN r_sub < 0.95 THEN 'resolved'
    ELSE 'escalated' END"""


def _insert_chunk(cursor, t, first: int, count: int, household_first: int, household_span: int) -> tuple[int, int]:
    """``count`` cases numbered from ``first`` and their events; returns how many of each were inserted."""
    cursor.execute(f"SELECT coalesce(max(id), 0) FROM {t['case']}")
    last_id = cursor.fetchone()[0]
    cursor.execute(f"""
        INSERT INTO {t['case']} (number, category_id, title, description, place_id, compound_id, spot, location_note,
            path, reporter_id, reporter_user_id, reporter_name, reporter_phone_encrypted, reporter_phone_masked,
            anonymous, channel, created_by_id, idempotency_key, state, priority, level, owner_id, assigned_role,
            assignee_id, dispatched_by_id, routing_rule_id, response_due_at, resolution_due_at, responded_at,
            resolved_at, closed_at, paused_at, paused_total, response_reminded_at, resolution_reminded_at,
            overdue_handled_at, feedback_requested_at, me_too_count, reopen_count, escalation_count, postpone_count,
            return_count, rating, merged_into_id, referred_to, referred_note, version, created_at, updated_at)
        SELECT 'QD-' || lpad(i::text, 9, '0'), cat_id, cat_name || '问题', '基准：' || cat_name || '，请尽快处理',
            place_id, compound_id, spot, '', path, NULL, NULL, reporter_name, '', '', false, channel, NULL, '',
            state, priority, level, NULL, role, CASE WHEN state IN ('submitted', 'accepted', 'rejected') THEN NULL
            ELSE assignee END, NULL, NULL, created + hours * interval '1 hour', created + days * interval '1 day',
            responded, resolved, closed, CASE WHEN state = 'waiting_reporter' THEN responded END, interval '0',
            NULL, NULL, NULL, NULL,
            0, CASE WHEN state = 'closed' AND r_fb > 0.97 THEN 1 ELSE 0 END,
            CASE WHEN state = 'escalated' THEN 1 ELSE 0 END, 0, 0,
            CASE WHEN state <> 'closed' THEN '' WHEN r_rate < 0.5 THEN 'satisfied' WHEN r_rate < 0.75 THEN 'basic'
                 ELSE 'not_satisfied' END, NULL, '', '',
            CASE state WHEN 'closed' THEN 6 WHEN 'resolved' THEN 5 WHEN 'submitted' THEN 1 ELSE 3 END,
            created, coalesce(closed, resolved, responded, created)
        FROM (
            SELECT s.*, st.state, st.created,
                CASE WHEN st.state IN ('submitted', 'accepted', 'rejected') THEN NULL
                     ELSE st.created - ln(1 - r_resp) * interval '2 hours' END AS responded,
                CASE WHEN st.state IN ('closed', 'resolved')
                     THEN least(st.created - ln(1 - r_res) * interval '40 hours', now) END AS resolved,
                CASE WHEN st.state = 'closed' THEN least(st.created - ln(1 - r_res) * interval '40 hours'
                                                        - ln(1 - r_fb) * interval '20 hours', now)
                     WHEN st.state = 'rejected' THEN st.created + interval '1 hour' END AS closed
            FROM (
                SELECT g.i, g.r_t, g.r_resp, g.r_res, g.r_fb, g.r_rate, now,
                    g.r_state, g.r_sub, cat.id AS cat_id, cat.name AS cat_name, cat.level, cat.role, cat.priority,
                    cat.hours, cat.days, hd.user_id AS assignee, u.compound_id,
                    CASE WHEN g.r_kind < 0.55 THEN u.id WHEN g.r_kind < 0.85 THEN b.id ELSE c.id END AS place_id,
                    CASE WHEN g.r_kind < 0.55 THEN u.path WHEN g.r_kind < 0.85 THEN b.path ELSE c.path END AS path,
                    CASE WHEN g.r_kind >= 0.85 THEN (%(spots)s::text[])[1 + floor(g.r_spot * 10)::int] ELSE ''
                    END AS spot,
                    substr('王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗', 1 + floor(g.r_name * 20)::int, 1)
                        || CASE WHEN g.r_name * 40 - floor(g.r_name * 40) < 0.5 THEN '女士' ELSE '先生' END
                        AS reporter_name,
                    CASE WHEN g.r_ch < 0.5 THEN 'resident_app' WHEN g.r_ch < 0.75 THEN 'phone'
                         WHEN g.r_ch < 0.85 THEN 'visit' ELSE 'patrol' END AS channel
                FROM (
                    SELECT i, random() AS r_place, random() AS r_kind, random() AS r_cat, random() AS r_t,
                        random() AS r_state, random() AS r_sub, random() AS r_resp, random() AS r_res,
                        random() AS r_fb, random() AS r_rate, random() AS r_spot, random() AS r_name,
                        random() AS r_ch, now() AS now
                    FROM generate_series(%(first)s::bigint, %(last)s::bigint) i) g
                JOIN {t['household']} h ON h.id = %(hfirst)s + floor(g.r_place * %(hspan)s)::bigint
                JOIN {t['place']} u ON u.id = h.unit_id
                JOIN {t['place']} b ON b.id = u.building_id
                JOIN {t['place']} c ON c.id = u.compound_id
                JOIN bench_category cat ON g.r_cat >= cat.lo AND g.r_cat < cat.hi
                LEFT JOIN bench_handler hd ON hd.role = cat.role
                    AND hd.place_id = CASE WHEN cat.level = 'community' THEN c.parent_id ELSE c.id END
            ) s
            CROSS JOIN LATERAL (SELECT {STATE_SQL} AS state) st0
            CROSS JOIN LATERAL (SELECT st0.state, s.now - interval '1 hour' - s.r_t * CASE
                WHEN st0.state IN ('closed', 'rejected') THEN interval '729 days' ELSE interval '30 days' END
                AS created) st
        ) x
        ORDER BY created""",
                   {"first": first, "last": first + count - 1, "hfirst": household_first, "hspan": household_span,
                    "spots": SPOTS})
    inserted = cursor.rowcount
    # The timeline: submitted; accepted (unless still waiting or rejected); closed or rejected.
    cursor.execute(f"""
        INSERT INTO {t['event']} (case_id, actor_id, at, action, from_state, to_state, note, data, public)
        SELECT c.id, NULL, ev.at, ev.action, ev.from_state, ev.to_state, '', '{{}}'::jsonb, true
        FROM {t['case']} c CROSS JOIN LATERAL (VALUES
            ('submit', c.created_at, '', 'submitted', true),
            ('accept', c.created_at + interval '10 minutes', 'submitted', 'accepted',
             c.state NOT IN ('submitted', 'rejected')),
            ('reject', c.closed_at, 'submitted', 'rejected', c.state = 'rejected'),
            ('close', c.closed_at, 'resolved', 'closed', c.state = 'closed')
        ) AS ev(action, at, from_state, to_state, keep)
        WHERE c.id > %s AND ev.keep
        ORDER BY c.id, ev.at""", [last_id])
    return inserted, cursor.rowcount


def case_count() -> int:
    from linli.cases.models import Case

    return Case.objects.count()


def secondary_indexes(cursor, names: list[str]) -> list[tuple[str, str]]:
    """(name, definition) of the indexes of ``names`` that back no constraint (the primary keys and the unique
    constraints stay while filling)."""
    cursor.execute("""SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1""", [names])
    return cursor.fetchall()


def drop_indexes(names: list[str]) -> None:
    """Drop the secondary indexes of ``names`` for a bulk fill; their definitions are kept in ``bench_meta`` so that
    :func:`restore_indexes` (run at the end of the fill, and before measuring) builds them again."""
    with connection.cursor() as cursor:
        saved = json.loads(meta_get("dropped_indexes", "[]"))
        found = secondary_indexes(cursor, names)
        meta_set("dropped_indexes", json.dumps(saved + [list(row) for row in found if list(row) not in saved]))
        for name, _definition in found:
            cursor.execute(f"DROP INDEX {name}")
    log(f"  dropped {len(found)} indexes for the fill: {', '.join(n for n, _d in found)}")


def restore_indexes() -> float:
    """Build again every index :func:`drop_indexes` dropped; returns the seconds it took."""
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        for name, definition in json.loads(meta_get("dropped_indexes", "[]")):
            cursor.execute("SELECT to_regclass(%s)", [name])
            if cursor.fetchone()[0] is None:
                t1 = time.perf_counter()
                cursor.execute(definition)
                log(f"  index {name}: {time.perf_counter() - t1:.0f} s")
        meta_set("dropped_indexes", "[]")
    return round(time.perf_counter() - t0, 1)


def fill_cases(target: int, chunk: int = CHUNK, bulk: bool | None = None) -> dict:
    """Add synthetic cases until the database holds ``target`` cases in all; each chunk one committed statement.

    ``bulk`` (by default: when the fill more than doubles the cases) drops the secondary indexes of the cases and
    their events first and builds them again at the end — sorting 10 M keys once is much cheaper than 10 M
    random insertions into a dozen B-trees. The pages are then measured on freshly built (compact) indexes."""
    t = tables()
    household_first = meta_get("household_first")
    if household_first is None:
        raise SystemExit("no synthetic households yet: run `fill --households N` first")
    household_first = int(household_first)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(id) FROM {t['household']}")
        household_span = cursor.fetchone()[0] - household_first + 1
        _categories(cursor)
        _handlers(cursor, t)
    have = case_count()
    started, cases, events = time.perf_counter(), 0, 0
    if bulk is None:
        bulk = target - have > have
    if bulk and have < target:
        drop_indexes([t["case"], t["event"]])
    while have < target:
        n = min(chunk, target - have)
        first = int(meta_get("next_case", 1))
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            inserted, evs = _insert_chunk(cursor, t, first, n, household_first, household_span)
            meta_set("next_case", first + n)
        have += inserted
        cases += inserted
        events += evs
        seconds = time.perf_counter() - t0
        log(f"  cases: {have:,} ({inserted:,} + {evs:,} events in {seconds:.0f} s: "
            f"{(inserted + evs) / seconds:,.0f} rows/s)")
    fill_seconds = round(time.perf_counter() - started, 1)
    return {"cases_added": cases, "events_added": events, "insert_seconds": fill_seconds, "bulk": bulk,
            "index_build_seconds": restore_indexes()}


def vacuum_analyze(names=("place", "household", "case", "event", "user", "role")) -> float:
    """VACUUM ANALYZE the filled tables: fresh statistics for the planner and the visibility map for index-only
    scans (autovacuum may be off, as it is on the machine this was measured on)."""
    t = tables()
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"VACUUM (ANALYZE) {t[name]}")
    return round(time.perf_counter() - t0, 1)


def database_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return cursor.fetchone()[0]
