"""The inbox (everyone signed in, their own notifications) and the outbox (what the console channel 'sent')."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from linli.accounts.decorators import resident_login_required
from linli.accounts.permissions import READ_OUTBOX, has_perm
from linli.core.pagination import paginate
from linli.notify import selectors, services
from linli.notify.channels import get_channel


@login_required
def inbox(request):
    page = paginate(request, selectors.notification_list(user=request.user))
    return render(request, "notify/inbox.html", {"page": page})


@resident_login_required
def my_messages(request):
    """A resident's messages on their phone, in the resident's pages: each step of their reports, newest first,
    each linked to their own page of the case."""
    if not getattr(request.user, "is_resident", False):
        raise Http404
    page = paginate(request, selectors.notification_list(user=request.user))
    return render(request, "notify/me_inbox.html", {"page": page})


@resident_login_required
@require_POST
def my_messages_read(request):
    if not getattr(request.user, "is_resident", False):
        raise Http404
    _mark_read(request)
    return redirect("mymessages:list")


def _mark_read(request) -> None:
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
    if request.POST.get("all"):
        ids = list(selectors.notification_list(user=request.user, unread_only=True).values_list("pk", flat=True))
    services.notification_mark_read(user=request.user, notification_ids=ids)


@login_required
@require_POST
def mark_read(request):
    _mark_read(request)
    return redirect("notify:inbox")


@login_required
def outbox(request):
    """The texts of the scope as the console channel "sent" them. They hold residents' sign-in codes, and whoever
    reads a code can sign in as that resident: so the page exists only with the console channel (the offline demo,
    where the outbox *is* the delivery), and only for the roles holding ``read_outbox``."""
    if get_channel().name != "console":
        raise Http404
    if not has_perm(request.user, READ_OUTBOX):
        raise PermissionDenied
    page = paginate(request, selectors.outbox_list(user=request.user))
    return render(request, "notify/outbox.html", {"page": page})
