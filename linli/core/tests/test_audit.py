"""The audit trail records the address of the request that did the thing — the request's own, never another's."""

import threading

import pytest

from linli.core.audit import audit, reset_request_ip, set_request_ip
from linli.core.models import AuditEvent


def test_two_requests_served_at_once_each_keep_their_own_address():
    from linli.core import audit as core_audit

    barrier = threading.Barrier(2)
    seen = {}

    def serve(ip):
        token = set_request_ip(ip)
        barrier.wait()  # both requests have set their address before either reads it
        seen[ip] = core_audit._current_ip.get()
        reset_request_ip(token)

    threads = [threading.Thread(target=serve, args=(ip,)) for ip in ("10.0.0.1", "10.0.0.2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"10.0.0.1": "10.0.0.1", "10.0.0.2": "10.0.0.2"}


@pytest.mark.django_db
def test_work_after_a_request_is_not_recorded_with_its_address(client, secretary):
    client.get("/accounts/login/", REMOTE_ADDR="192.0.2.7")
    event = audit(actor=None, action="test.after_request")
    assert AuditEvent.objects.get(pk=event.pk).ip_address is None
