"""The hot-path helpers give what the ORM would give: the same rows, the same objects, nothing half-written."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from linli.accounts.models import ApiToken, User
from linli.accounts.services import token_issue
from linli.core.db import CompiledQuery, fields_with, insert_together, instance_from, sequence_next_sql
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


def test_insert_together_writes_a_key_read_beforehand_and_nothing_when_a_statement_fails():
    next_key = sequence_next_sql(AuditEvent, connection)
    key = None
    if next_key:  # PostgreSQL: the key comes from the sequence before the insert
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {next_key}")  # noqa: S608 — SQL of our own making, no input
            key = cursor.fetchone()[0]
    first = AuditEvent(pk=key, action="test.first")
    before = AuditEvent.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_together((AuditEvent, [first]), (User, [User(username="dup"), User(username="dup")]))
    assert AuditEvent.objects.count() == before  # the first batch went back with the failing one
    with transaction.atomic():
        insert_together((AuditEvent, [AuditEvent(pk=key, action="test.first")]))
    if key is not None:
        assert AuditEvent.objects.filter(pk=key, action="test.first").exists()
