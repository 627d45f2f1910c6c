"""One request's staff page and the actions on it (``/requests/<code>/``).

The page is addressed by tracking code (``K7M-4TXR``), never the database
id; every action is a POST under it, photos a GET.
"""

from django.urls import path

from geopool.web.requestpages import actions, views

app_name = "requestpages"

urlpatterns = [
    path("<str:code>/", views.request_detail, name="detail"),
    path("<str:code>/contact/", views.contact_show, name="contact"),
    path("<str:code>/photos/<int:pk>/", views.photo_file, name="photo"),
    path("<str:code>/status/", actions.status_update, name="status"),
    path("<str:code>/answer/", actions.answer_create, name="answer"),
    path("<str:code>/note/", actions.note_create, name="note"),
    path("<str:code>/photo/", actions.photo_upload, name="photo-upload"),
    path(
        "<str:code>/photos/<int:pk>/publish/",
        actions.photo_make_public,
        name="photo-publish",
    ),
    path(
        "<str:code>/photos/<int:pk>/withdraw/",
        actions.photo_withdraw,
        name="photo-withdraw",
    ),
    path("<str:code>/public-text/", actions.public_text_update, name="public-text"),
    path("<str:code>/assign/", actions.assign, name="assign"),
    path("<str:code>/transfer/", actions.transfer_create, name="transfer"),
    path(
        "<str:code>/transfers/<int:pk>/withdraw/",
        actions.transfer_cancel,
        name="transfer-withdraw",
    ),
    path(
        "<str:code>/transfers/<int:pk>/answer/",
        actions.transfer_reply,
        name="transfer-answer",
    ),
    path(
        "<str:code>/coordinator-assign/",
        actions.coordinator_give,
        name="coordinator-assign",
    ),
    path("<str:code>/reroute/", actions.reroute, name="reroute"),
    path("<str:code>/change/", actions.change, name="change"),
]
