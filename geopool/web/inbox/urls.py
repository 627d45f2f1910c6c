"""Body inboxes, staff search, exports and transfer statistics (``/inbox/``)."""

from django.urls import path

from geopool.web.inbox import disputes, search, views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("accept", views.inbox_accept, name="inbox-accept"),
    path("offered", views.inbox_offered, name="inbox-offered"),
    path(
        "transfers/<int:pk>/answer", views.transfer_decide, name="inbox-transfer-answer"
    ),
    path("export.<str:fmt>", views.inbox_export, name="inbox-export"),
    path("search", search.search, name="search"),
    path("disputes", disputes.disputes, name="disputes"),
]
