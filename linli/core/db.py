"""Reads on the hot path whose SQL the ORM writes once per process, not once per request.

Compiling a queryset to SQL costs Django more than a short indexed read costs the database (0.3–0.6 ms of Python
against 0.2–0.4 ms of round trip, measured in ``bench/intake_bench.py``). Every API call authenticates its token
and reads the caller's roles; a report reads its place. :class:`CompiledQuery` keeps the SQL of such a read — still
written by the ORM from a queryset, so it follows the models — and only binds the arguments on later calls.
"""

import threading
from collections.abc import Callable, Sequence

from django.db import connections
from django.db.models import NOT_PROVIDED, QuerySet


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
        with connection.cursor() as cursor:
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


def sequence_next_sql(model, connection) -> str | None:
    """SQL for the next key of ``model``'s table, to read in a statement the caller sends anyway (PostgreSQL), so
    that rows referring to a new row can be written with it in one round trip (:func:`insert_together`); None
    where keys come only from the insert itself (SQLite)."""
    if connection.vendor != "postgresql":
        return None
    qn = connection.ops.quote_name
    table, column = model._meta.db_table, model._meta.pk.column
    return f"nextval(pg_get_serial_sequence('{qn(table)}', '{column}'))"


def insert_together(*batches: tuple[type, list], using: str = "default") -> None:
    """Insert each ``(model, objects)`` batch — one ``INSERT`` per model, as ``bulk_create`` writes it — in one
    round trip where the database takes several statements at once (PostgreSQL with client-side binding, Django's
    default), else one batch after the other. Objects without a key get theirs back; keys already set are written.

    A report writes its case, its events and its audit rows; sent together they cost one round trip, not three.
    Call inside a transaction: the statements are not atomic on their own on every database."""
    connection = connections[using]
    if connection.vendor != "postgresql" or _server_side_binding(connection):
        for model, objs in batches:
            model.objects.using(using).bulk_create(objs)
        return
    statements, returning = [], []
    for model, objs in batches:
        preset = all(obj.pk is not None for obj in objs)
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="insert_together")
        sql, fields = _insert_sql(connection, model, len(objs), preset)
        # What the ORM's insert does to each value: pre_save (auto_now_add and the like), then the database's form.
        params = [field.get_db_prep_save(field.pre_save(obj, True), connection=connection)
                  for obj in objs for field in fields]
        statements.append((sql, params))
        returning.append(not preset)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: one result per statement, in order
        # Bound one statement at a time: psycopg keeps the parse of a statement of at most 50 parameters, not of
        # the whole batch, which it would parse again on every call.
        cursor.execute(";\n".join(raw.mogrify(sql, params) for sql, params in statements))
        for (_model, objs), has_keys in zip(batches, returning, strict=True):
            if has_keys:
                for obj, (pk,) in zip(objs, raw.fetchall(), strict=True):
                    obj.pk = pk
            for obj in objs:
                obj._state.adding, obj._state.db = False, using
            raw.nextset()


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
        cached = _INSERT_SQL[key] = (sql, fields)
    return cached


def _server_side_binding(connection) -> bool:
    return bool(connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"))
