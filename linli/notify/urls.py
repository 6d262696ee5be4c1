"""Staff inboxes at ``/notifications/`` (:data:`urlpatterns`); a resident's messages at ``/me/messages/``
(:data:`resident_urlpatterns`, namespace ``mymessages``: a resident account may open only ``/me/``)."""

from django.urls import path

from linli.notify import views

app_name = "notify"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.mark_read, name="mark_read"),
    path("outbox/", views.outbox, name="outbox"),
]

resident_urlpatterns = ([
    path("", views.my_messages, name="list"),
    path("read/", views.my_messages_read, name="mark_read"),
], "mymessages")
