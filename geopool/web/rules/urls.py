"""The rule pages, under ``/rules/``; rule sets by version number."""

from django.urls import path

from geopool.web.rules import views

app_name = "rules"

urlpatterns = [
    path("", views.rule_set_list, name="list"),
    path("drafts/", views.draft_create, name="draft-create"),
    path("<int:version>/", views.rule_set_detail, name="rule-set"),
    path("<int:version>/rules/new/", views.rule_edit, name="rule-new"),
    path("<int:version>/rules/<int:pk>/", views.rule_edit, name="rule-edit"),
    path("<int:version>/rules/<int:pk>/delete/", views.rule_remove, name="rule-delete"),
    path(
        "<int:version>/delegations/new/",
        views.delegation_edit,
        name="delegation-new",
    ),
    path(
        "<int:version>/delegations/<int:pk>/",
        views.delegation_edit,
        name="delegation-edit",
    ),
    path(
        "<int:version>/delegations/<int:pk>/delete/",
        views.delegation_remove,
        name="delegation-delete",
    ),
    path("<int:version>/test/", views.point_test, name="test"),
    path("<int:version>/simulate/", views.simulation, name="simulate"),
    path("<int:version>/activate/", views.rule_set_activate_view, name="activate"),
]
