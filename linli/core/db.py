"""The hot path's reads and writes: SQL the ORM writes once per process, planned once per connection, sent in as
few round trips as the database allows.

Compiling a queryset to SQL costs Django more than a short indexed read costs the database (0.3–0.6 ms of Python
against 0.2–0.4 ms of round trip, measured in ``bench/intake_bench.py``), and PostgreSQL planning a join on every
call cost more than running it. Every API call authenticates its key and reads the caller's roles; a report reads
its place. :class:`CompiledQuery` keeps the SQL of such a read — still written by the ORM from a queryset, so it
follows the models — binds only the arguments on later calls, and runs it as a prepared statement.
:func:`insert_together` writes a change's rows (and the statements before them) in one round trip.
"""

import functools
import json
import re
import threading
from collections.abc import Callable, Sequence
from typing import NamedTuple

from django.db import connections
from django.db.models import NOT_PROVIDED, JSONField, QuerySet


class CompiledQuery:
    """A ``values_list`` read compiled once per database alias.

    ``build(*samples)`` returns the queryset; ``samples`` stand for the arguments while it compiles and must each
    appear exactly once among the SQL's parameters (pick values no constant of the query can equal: a string of
    control characters, a negative number), so that :meth:`rows` knows which parameter is which argument.
    The database's converters (SQLite's dates and booleans, say) are applied as the ORM would apply them."""

    def __init__(self, build: Callable[..., QuerySet], *samples):
        self.build = build
        self.samples = samples
        self._compiled: dict[str, tuple[str, list, list]] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> tuple[str, list, list]:
        compiler = self.build(*self.samples).query.get_compiler(alias)
        sql, params = compiler.as_sql()
        slots: list = []
        for param in params:
            hits = [i for i, sample in enumerate(self.samples) if type(param) is type(sample) and param == sample]
            slots.append((True, hits[0]) if hits else (False, param))
        if sorted(i for is_arg, i in slots if is_arg) != list(range(len(self.samples))):
            raise ValueError(f"every sample must appear once among the parameters: {params!r}")
        converters = [(pos, convs, expr) for pos, (convs, expr)
                      in compiler.get_converters([col for col, *_ in compiler.select]).items()]
        with self._lock:
            self._compiled[alias] = (sql, slots, converters)
        return self._compiled[alias]

    def rows(self, *args, using: str = "default") -> list[Sequence]:
        """The rows for ``args`` (in the order of the samples)."""
        sql, slots, converters = self._compiled.get(using) or self._compile(using)
        connection = connections[using]
        with _prepared_cursor(connection) as cursor:
            cursor.execute(sql, [args[value] if is_arg else value for is_arg, value in slots])
            rows = cursor.fetchall()
        if not converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for pos, convs, expr in converters:
                for convert in convs:
                    row[pos] = convert(row[pos], expr, connection)
            converted.append(row)
        return converted


def _prepared_cursor(connection):
    """A cursor whose statements PostgreSQL prepares — plans once per connection, not on every call — where the
    connection allows it (``prepare_threshold`` set, as config/settings.py does); else an ordinary one.

    Why: Django binds parameters on the client, so PostgreSQL plans every statement anew, and for the reads every
    API call makes the planning was most of their time (the caller's roles, a five-table join: 0.9 ms planned
    every time against 0.12 ms prepared; docs/bench.md §1). Wrapped as Django wraps its own cursors, so queries
    are logged and errors translated alike."""
    if connection.vendor != "postgresql" or _server_side_binding(connection):
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        return connection.cursor()
    return connection._prepare_cursor(_prepared_class()(raw))  # as BaseDatabaseWrapper.cursor() does


@functools.cache
def _prepared_class():
    import psycopg

    class Prepared(psycopg.Cursor):
        """psycopg's server-side binding cursor, preparing every statement it runs."""

        def execute(self, query, params=None, *, prepare=None, binary=None):
            result = super().execute(query, params, prepare=True, binary=binary)
            if self._query is None:  # psycopg keeps no query for a prepared run; Django's query log reads it
                self._query = _LoggedQuery(self.connection, query, params)
            return result

    return Prepared


class _LoggedQuery:
    """The statement of a prepared run with its arguments written in, as Django's query log shows a statement —
    made only if the log asks (``DEBUG``, tests)."""

    def __init__(self, connection, sql, params):
        self.connection, self.sql, self.params = connection, sql, params

    @property
    def query(self) -> bytes:
        import psycopg

        return psycopg.ClientCursor(self.connection).mogrify(self.sql, self.params).encode()


def fields_with(model, related: Sequence[str] = ()) -> list[str]:
    """The ``values_list`` names of ``model``'s columns followed by those of each foreign key in ``related``: the
    shape :func:`instance_from` reads back."""
    names = [f.attname for f in model._meta.concrete_fields]
    for name in related:
        target = model._meta.get_field(name).related_model
        names += [f"{name}__{f.attname}" for f in target._meta.concrete_fields]
    return names


def instance_from(model, row: Sequence, related: Sequence[str] = (), using: str = "default"):
    """The ``model`` instance (its ``related`` objects attached, or None where the key is empty) of a row read with
    the names of :func:`fields_with` — what ``select_related`` would have built."""
    own = [f.attname for f in model._meta.concrete_fields]
    obj = model.from_db(using, own, row[:len(own)])
    start = len(own)
    for name in related:
        field = model._meta.get_field(name)
        target_fields = [f.attname for f in field.related_model._meta.concrete_fields]
        values = row[start:start + len(target_fields)]
        start += len(target_fields)
        field.set_cached_value(obj, None if getattr(obj, field.attname) is None
                               else field.related_model.from_db(using, target_fields, values))
    return obj


class Sql(NamedTuple):
    """A value the database computes while the row is written (``sql`` with its own ``%s`` ``params``), for
    :func:`insert_together`: a report's number comes from the counter that the same round trip advances."""

    sql: str
    params: tuple = ()


_KEYS: dict[tuple[str, type], list[int]] = {}
_KEYS_LOCK = threading.Lock()

#: How many keys :func:`reserve_key` takes from a sequence at once.
KEY_BLOCK = 32


def reserve_key(model, using: str = "default") -> int | None:
    """A new key for a row of ``model``, taken from the table's own sequence :data:`KEY_BLOCK` at a time per process
    (PostgreSQL; None elsewhere, where keys come from the insert itself).

    Why: rows that refer to a new row (a case's events and audit rows) can then be written with it in one round
    trip, and the key costs a round trip once per block, not once per row. Keys stay unique (the sequence never
    hands a number out twice) but are not in the order the rows were written across processes: order by time, not
    by key."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    slot = (using, model)
    with _KEYS_LOCK:
        keys = _KEYS.get(slot)
        if not keys:
            qn = connection.ops.quote_name
            sql = (f"SELECT nextval(pg_get_serial_sequence('{qn(model._meta.db_table)}', "  # noqa: S608
                   f"'{model._meta.pk.column}')) FROM generate_series(1, %s)")
            with connection.cursor() as cursor:
                cursor.execute(sql, [KEY_BLOCK])
                keys = _KEYS[slot] = sorted((row[0] for row in cursor.fetchall()), reverse=True)
        return keys.pop()


def insert_together(*batches: tuple[type, list], before: Sequence[tuple[str, Sequence]] = (),
                    fill: dict[str, Sql] | None = None, using: str = "default") -> list[list[tuple]]:
    """Insert each ``(model, objects)`` batch — one ``INSERT`` per model — after the ``before`` statements
    (``(sql, params)``, each a ``SELECT`` or with ``RETURNING``: their rows are returned in order), in one round
    trip where the database takes several statements at once (PostgreSQL with client-side binding, Django's
    default), else one after the other. Objects without a key get theirs back; keys already set are written.

    Values the database computes: a value that is :class:`Sql`; and on PostgreSQL, in text and JSON values, each
    placeholder of ``fill`` is replaced by the value of its :class:`Sql` (a number known only once written).

    A report writes its number, its case, its events, its audit rows and its notification's task together.
    Outside a transaction PostgreSQL runs the statements of one string as one transaction (the simple query
    protocol's implicit transaction): all of them or none, committed at once, without the round trips of ``BEGIN``
    and ``COMMIT``. Elsewhere, call inside a transaction."""
    connection = connections[using]
    statements = list(before)
    returning = []
    # Finds a placeholder in a text at C speed: most values hold none, and are not looked into further.
    holds = re.compile("|".join(map(re.escape, fill))).search if fill else None
    for model, objs in batches:
        preset = all(obj.pk is not None for obj in objs)
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="insert_together")
        sql, plan = _insert_sql(connection, model, len(objs), preset)
        params = []
        for obj in objs:
            for field, attname, pre_save, plain, fillable in plan:
                # What the ORM's insert does to each value: pre_save (auto_now_add and the like), then the
                # database's form — skipped where both are known to give the value back as it is.
                value = field.pre_save(obj, True) if pre_save else getattr(obj, attname)
                kind = type(value)
                if fillable and holds and kind in _FILLABLE and (kind is not str or holds(value)):
                    value = _filled(field, value, fill)
                if kind in plain or isinstance(value, Sql):
                    params.append(value)
                else:
                    params.append(field.get_db_prep_save(value, connection=connection))
        statements.append((sql, params))
        returning.append(not preset)
    results: list[list[tuple]] = []
    together = connection.vendor == "postgresql" and not _server_side_binding(connection)
    with connection.cursor() as cursor:
        if together:
            raw = cursor.cursor  # psycopg's own cursor: one result per statement, in order
            literal = _literal_writer(raw)
            cursor.execute(";\n".join(_bound(raw, sql, params, literal) for sql, params in statements))
        for i, (sql, params) in enumerate(statements):
            if not together:
                cursor.execute(*_with_sql_values(sql, params))
            elif i:
                raw.nextset()
            if i < len(before):
                results.append([tuple(row) for row in cursor.fetchall()])
                continue
            model, objs = batches[i - len(before)]
            if returning[i - len(before)]:
                for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                    obj.pk = pk
            for obj in objs:
                obj._state.adding, obj._state.db = False, using
    return results


_PARTS: dict[str, list[str]] = {}


def _bound(raw, sql: str, params: Sequence, literal: Callable[[object], str]) -> str:
    """``sql`` with ``params`` written in as literals, quoted by psycopg as ``mogrify`` quotes them, and each
    :class:`Sql` value written in as its own SQL (bound the same way).

    Not ``mogrify`` itself: it parses the statement again on every call once it has more than 50 parameters (a
    case has 50 columns), which cost more than the write's round trip (docs/bench.md §1). The statement's pieces
    between its ``%s`` are kept per statement here; statements with ``%%`` go to ``mogrify``."""
    parts = _PARTS.get(sql)
    if parts is None:
        if "%%" in sql:
            return raw.mogrify(*_with_sql_values(sql, params))
        if len(_PARTS) > 1024:  # shapes are few; never let an unexpected variety grow without bound
            _PARTS.clear()
        parts = _PARTS[sql] = sql.split("%s")
    text = [parts[0]]
    for value, part in zip(params, parts[1:], strict=True):
        if isinstance(value, Sql):
            text.append(_bound(raw, value.sql, value.params, literal))
        else:
            text.append("NULL" if value is None else literal(value))
        text.append(part)
    return "".join(text)


def _literal_writer(raw) -> Callable[[object], str]:
    """A value as an SQL literal, quoted as psycopg's ``mogrify`` quotes it on ``raw``'s connection (made once per
    write: psycopg's adapters are looked up per type and kept by the transformer)."""
    from psycopg.adapt import Transformer

    as_literal, encoding = Transformer(raw).as_literal, raw.connection.info.encoding
    return lambda value: as_literal(value).decode(encoding)


def _filled(field, value, fill: dict[str, Sql]):
    """``value`` as :class:`Sql` replacing the placeholders of ``fill`` it holds (text, or JSON as text); else as is."""
    found = [(holder, sql) for holder, sql in fill.items() if _holds(value, holder)]
    if not found:
        return value
    is_json = isinstance(field, JSONField)
    expr, params = "%s", [json.dumps(value, cls=field.encoder) if is_json else value]
    for holder, sql in found:
        expr, params = f"replace({expr}, %s, {sql.sql})", [*params, holder, *sql.params]
    return Sql(f"({expr})::jsonb" if is_json else expr, tuple(params))


def fill_in(value, filled: dict[str, str]):
    """``value`` (text, or JSON-like) with each placeholder of ``filled`` replaced by its text: what the database
    wrote for :func:`insert_together`'s ``fill``, done on the objects kept in memory."""
    if isinstance(value, str):
        for holder, text in filled.items():
            value = value.replace(holder, text)
        return value
    if isinstance(value, dict):
        return {k: fill_in(v, filled) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [fill_in(v, filled) for v in value]
    return value


def _holds(value, holder: str) -> bool:
    """True when ``holder`` is in ``value``'s text or in a string anywhere inside it (JSON-like)."""
    if isinstance(value, str):
        return holder in value
    if isinstance(value, dict):
        return any(_holds(v, holder) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds(v, holder) for v in value)
    return False


def _with_sql_values(sql: str, params: Sequence) -> tuple[str, list]:
    """``sql`` and ``params`` with each :class:`Sql` value written into the statement in place of its ``%s`` (for a
    database given one statement at a time)."""
    if not any(isinstance(value, Sql) for value in params):
        return sql, list(params)
    parts = sql.split("%s")  # one more part than parameters: the statement's own text has no other "%s"
    text, flat = [parts[0]], []
    for value, part in zip(params, parts[1:], strict=True):
        if isinstance(value, Sql):
            text.append(value.sql)
            flat.extend(value.params)
        else:
            text.append("%s")
            flat.append(value)
        text.append(part)
    return "".join(text), flat


_INSERT_SQL: dict[tuple, tuple[str, list]] = {}


def _insert_sql(connection, model, count: int, preset: bool) -> tuple[str, list]:
    """``INSERT INTO … VALUES (…), (…)`` for ``count`` rows of ``model`` (all columns when the keys are ``preset``,
    else all but the key, which comes back), written once per shape and process.

    Not the ORM's own compiler: it spent more time writing the statement than PostgreSQL spent running it, and for
    several rows it writes ``UNNEST`` of arrays, which psycopg then quotes element by element. Plain values suit the
    handful of rows a change writes."""
    key = (connection.alias, model, count, preset)
    cached = _INSERT_SQL.get(key)
    if cached is None:
        opts, qn = model._meta, connection.ops.quote_name
        fields = [f for f in opts.concrete_fields if preset or not f.primary_key]
        special = [f.name for f in fields if f.generated or f.db_default is not NOT_PROVIDED]
        if special:  # the ORM leaves these to the database; a plain VALUES row would not
            raise ValueError(f"insert_together writes plain columns only; {model.__name__} has {special}")
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (f"INSERT INTO {qn(opts.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608
               f"VALUES {', '.join([row] * count)}" + ("" if preset else f" RETURNING {qn(opts.pk.column)}"))
        plan = [(f, f.attname, _needs_pre_save(f), _plain_types(f),
                 f.get_internal_type() in ("CharField", "TextField", "JSONField")) for f in fields]
        cached = _INSERT_SQL[key] = (sql, plan)
    return cached


#: Values that may hold a placeholder of ``insert_together``'s ``fill``: text, or JSON-like.
_FILLABLE = (str, dict, list)


def _plain_types(field) -> frozenset:
    """The types of value ``field`` writes as they are: None (except for JSON, where None is JSON's null) and, for
    Django's own text, integer and boolean fields (or a key to one), ``str``, ``int`` or ``bool`` — whose
    ``get_db_prep_save`` gives such a value back unchanged. A subclass that prepares values its own way (an
    encrypting text field, say) is always asked."""
    from django.db import models

    target = field.target_field if field.is_relation else field
    if field.is_relation and type(field).get_db_prep_save is not models.ForeignKey.get_db_prep_save:
        return frozenset()
    for kinds, classes in (((str,), (models.CharField, models.TextField)),
                           ((int,), (models.IntegerField, models.BigIntegerField, models.SmallIntegerField,
                                     models.PositiveIntegerField, models.PositiveBigIntegerField,
                                     models.PositiveSmallIntegerField, models.AutoField, models.BigAutoField,
                                     models.SmallAutoField)),
                           ((bool,), (models.BooleanField,))):
        if any(isinstance(target, base) and all(getattr(type(target), name) is getattr(base, name)
                                                for name in ("get_prep_value", "get_db_prep_value", "get_db_prep_save"))
               for base in classes):
            return frozenset((type(None), *kinds))
    if isinstance(target, models.JSONField) or not type(target).__module__.startswith("django.db.models."):
        return frozenset()
    return frozenset((type(None),))  # Django's own fields write None as NULL


def _needs_pre_save(field) -> bool:
    """Whether ``field.pre_save`` may give other than the attribute's value (auto_now, files…)."""
    from django.db import models

    if type(field).pre_save is models.Field.pre_save:
        return False
    return not (type(field).pre_save in (models.DateField.pre_save, models.DateTimeField.pre_save)
                and not (field.auto_now or field.auto_now_add))


def _server_side_binding(connection) -> bool:
    return bool(connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"))
