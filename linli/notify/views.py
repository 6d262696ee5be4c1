"""The inbox (everyone signed in) and the outbox (staff: what the console channel 'sent', e.g. sign-in codes)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from linli.core.pagination import paginate
from linli.notify import selectors, services


@login_required
def inbox(request):
    page = paginate(request, selectors.notification_list(user=request.user))
    return render(request, "notify/inbox.html", {"page": page})


@login_required
@require_POST
def mark_read(request):
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
    if request.POST.get("all"):
        ids = list(selectors.notification_list(user=request.user, unread_only=True).values_list("pk", flat=True))
    services.notification_mark_read(user=request.user, notification_ids=ids)
    return redirect("notify:inbox")


@login_required
def outbox(request):
    page = paginate(request, selectors.outbox_list(user=request.user))
    return render(request, "notify/outbox.html", {"page": page})
