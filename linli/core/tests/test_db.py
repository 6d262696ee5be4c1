"""The hot-path helpers give what the ORM would give: the same rows, the same objects, nothing half-written."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from linli.accounts.models import ApiToken, User
from linli.accounts.services import token_issue
from linli.core.db import CompiledQuery, Sql, fields_with, insert_together, instance_from, reserve_key
from linli.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_compiled_query_answers_each_call_with_its_own_arguments_and_the_orm_types():
    a = User.objects.create_user("alpha", password="x" * 12)
    b = User.objects.create_user("beta", password="x" * 12, is_active=False)
    query = CompiledQuery(lambda name: User.objects.filter(username=name).values_list("pk", "date_joined",
                                                                                      "is_active"), "\x1f-name")
    (pk, joined, active), = query.rows("alpha")
    assert pk == a.pk and active is True
    assert isinstance(joined, dt.datetime) and joined.tzinfo is not None  # converted as the ORM converts (SQLite)
    assert list(query.rows("beta")[0])[::2] == [b.pk, False]
    assert query.rows("nobody") == []


def test_a_sample_that_is_not_a_parameter_is_refused_when_compiled():
    query = CompiledQuery(lambda name: User.objects.filter(username="fixed").values_list("pk"), "\x1f-name")
    with pytest.raises(ValueError, match="sample"):
        query.rows("x")


def test_instance_from_builds_what_select_related_builds():
    user = User.objects.create_user("gamma", password="x" * 12)
    token, _key = token_issue(actor=None, user=user, name="t")
    row = ApiToken.objects.filter(pk=token.pk).values_list(*fields_with(ApiToken, related=("user",))).get()
    built = instance_from(ApiToken, row, related=("user",))
    with_orm = ApiToken.objects.select_related("user").get(pk=token.pk)
    assert (built.pk, built.name, built.key_hash, built.user.username) == (
        with_orm.pk, with_orm.name, with_orm.key_hash, with_orm.user.username)
    assert not built._state.adding


def test_find_live_refuses_a_revoked_key_and_an_inactive_user():
    user = User.objects.create_user("delta", password="x" * 12)
    token, key = token_issue(actor=None, user=user, name="t")
    assert ApiToken.find_live(key).user == user
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert ApiToken.find_live(key) is None
    User.objects.filter(pk=user.pk).update(is_active=True)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=dt.datetime.now(dt.UTC))
    assert ApiToken.find_live(key) is None
    assert ApiToken.find_live("lnl_" + "x" * 40) is None


def test_insert_together_writes_every_batch_and_gives_back_the_keys():
    text = "100% 修好了 %s %(x)s '; DROP TABLE x; --"
    rows = [AuditEvent(action="test.a", data={"note": text}), AuditEvent(action="test.b", data={})]
    more = [AuditEvent(action="test.c", target_id=text)]
    with transaction.atomic():
        insert_together((AuditEvent, rows), (AuditEvent, more))
    assert all(r.pk for r in rows + more)
    assert AuditEvent.objects.get(pk=rows[0].pk).data == {"note": text}
    assert AuditEvent.objects.get(pk=more[0].pk).target_id == text
    # The ORM's pre_save ran: the time of writing was set on the object and stored with it.
    assert rows[1].created_at is not None
    assert AuditEvent.objects.get(pk=rows[1].pk).created_at == rows[1].created_at


def test_insert_together_writes_a_reserved_key_and_nothing_when_a_statement_fails():
    key = reserve_key(AuditEvent)  # PostgreSQL: from the table's sequence, a block at a time; SQLite: None
    first = AuditEvent(pk=key, action="test.first")
    before = AuditEvent.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_together((AuditEvent, [first]), (User, [User(username="dup"), User(username="dup")]))
    assert AuditEvent.objects.count() == before  # the first batch went back with the failing one
    with transaction.atomic():
        insert_together((AuditEvent, [AuditEvent(pk=key, action="test.first")]))
    if key is not None:
        assert AuditEvent.objects.filter(pk=key, action="test.first").exists()
        assert reserve_key(AuditEvent) != key  # never handed out twice
        assert not AuditEvent.objects.filter(pk=reserve_key(AuditEvent)).exists()


def test_insert_together_returns_the_rows_of_the_statements_sent_before_and_writes_database_values():
    rows = insert_together((AuditEvent, [AuditEvent(action="test.sql", target_id=Sql("%s || 'b'", ("a",)))]),
                           before=[("SELECT %s + 1", [41])])
    assert rows == [[(42,)]]
    assert AuditEvent.objects.get(action="test.sql").target_id == "ab"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="placeholders are filled by PostgreSQL")
def test_insert_together_fills_placeholders_in_text_and_json_with_what_the_database_computes():
    holder = "[n-0123]"
    row = AuditEvent(action=f"test.{holder}", target_id="x", data={"number": holder, "note": f"编号 {holder}！"})
    insert_together((AuditEvent, [row]), fill={holder: Sql("(SELECT %s || (40 + 2)::text)", ("LZ-",))})
    stored = AuditEvent.objects.get(pk=row.pk)
    assert stored.action == "test.LZ-42"
    assert stored.data == {"number": "LZ-42", "note": "编号 LZ-42！"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="one string, one implicit transaction: PostgreSQL")
def test_outside_a_transaction_the_statements_of_insert_together_commit_or_fail_together():
    before = AuditEvent.objects.count()
    with pytest.raises(IntegrityError):
        insert_together((AuditEvent, [AuditEvent(action="test.alone")]),
                        (User, [User(username="dup"), User(username="dup")]))
    assert AuditEvent.objects.count() == before
    assert not connection.in_atomic_block and connection.get_autocommit()
    insert_together((AuditEvent, [AuditEvent(action="test.alone")]))
    assert AuditEvent.objects.filter(action="test.alone").count() == 1


def test_find_live_brings_the_users_roles_as_role_paths_would_read_them(grid1, branch):
    from linli.core import scope

    for user in (grid1, branch, User.objects.create_user("no-roles", password="x" * 12)):
        key = token_issue(actor=None, user=user, name="t")[1]
        found = ApiToken.find_live(key).user
        with CaptureQueriesContext(connection) as queries:
            pairs = scope.role_paths(found)
        assert len(queries) == 0  # read with the token
        fresh = User.objects.get(pk=user.pk)
        assert sorted(pairs) == sorted(scope.role_paths(fresh))
    assert len(scope.role_paths(ApiToken.find_live(token_issue(actor=None, user=grid1, name="t")[1]).user)) > 1


def test_a_value_without_a_placeholder_is_written_as_it_is():
    row = AuditEvent(action="test.plain", target_id="[n-other]", data={"list": ["a", 1, None], "n": 2})
    insert_together((AuditEvent, [row]), fill={"[n-0123]": Sql("'x'")} if connection.vendor == "postgresql" else None)
    stored = AuditEvent.objects.get(pk=row.pk)
    assert (stored.target_id, stored.data) == ("[n-other]", {"list": ["a", 1, None], "n": 2})


def test_values_are_written_as_the_orm_prepares_them_unless_the_field_gives_them_back_unchanged():
    """insert_together skips Django's value preparation only where it is known to change nothing: a field that
    prepares values its own way (here: one that shouts) is still asked, and what it wrote is what the ORM writes."""
    from django.db import models

    from linli.core.db import _plain_types

    class Shouting(models.CharField):
        def get_prep_value(self, value):
            return None if value is None else str(value).upper()

    shouting, plain = Shouting(max_length=10), models.CharField(max_length=10)
    assert str not in _plain_types(shouting) and str in _plain_types(plain)
    assert _plain_types(models.JSONField()) == frozenset()  # None there is JSON's null, not SQL's NULL
    assert int in _plain_types(AuditEvent._meta.get_field("actor"))  # a key to an integer key
    # The written row reads back as the ORM's own insert writes it: text as given, the address and JSON prepared.
    ours = AuditEvent(action="test.prep", target_id="7", ip_address="10.0.0.1", data={"a": [1, None]})
    insert_together((AuditEvent, [ours]))
    orm = AuditEvent.objects.create(action="test.prep", target_id="7", ip_address="10.0.0.1", data={"a": [1, None]})
    rows = AuditEvent.objects.filter(pk__in=[ours.pk, orm.pk]).values(
        "action", "target_id", "ip_address", "data", "actor_id")
    assert rows[0] == rows[1] == {"action": "test.prep", "target_id": "7", "ip_address": "10.0.0.1",
                                  "data": {"a": [1, None]}, "actor_id": None}
