"""The admin never edits what must not change."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("kok", password="pw-admin-123")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/routing_rules/ruleset/add/",
        "/admin/boundaries/generation/add/",
        "/admin/routing_rules/decision/add/",
    ],
)
def test_append_only_records_cannot_be_added(admin_client, hatay, url):
    assert admin_client.get(url).status_code == 403


def test_active_generation_cannot_be_deleted(admin_client, hatay):
    from boundaries.models import Generation

    generation = Generation.objects.get(layer__code="districts", is_active=True)
    url = f"/admin/boundaries/generation/{generation.pk}/delete/"
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Generation.objects.filter(pk=generation.pk).exists()


def test_rule_set_page_offers_no_save(admin_client, hatay):
    from routing_rules.models import RuleSet

    rule_set = RuleSet.objects.get(is_active=True)
    page = admin_client.get(f"/admin/routing_rules/ruleset/{rule_set.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()


ICON = '<link rel="icon" type="image/svg+xml" href="/static/geopool/favicon.svg">'


def test_admin_pages_carry_geopools_icon(admin_client):
    from django.test import Client

    index = admin_client.get("/admin/").content.decode()
    login = Client().get("/admin/login/").content.decode()

    for page in (index, login):
        assert ICON in page  # so the browser asks for no /favicon.ico
        assert 'id="site-name"' in page  # still Django's admin page around it


def test_admin_index_names_the_models_in_turkish(admin_client):
    index = admin_client.get("/admin/").content.decode()

    for name in [
        "Kurumlar",
        "Kategoriler",
        "Olay kayıtları",
        "Talepler",
        "API anahtarları",
        "Katman sürümleri",
        "Kararlar",
        "Kural kümeleri",
    ]:
        assert f">{name}</a>" in index, name
    assert ">Service requests</a>" not in index


def test_admin_columns_and_fields_are_labelled_in_turkish(admin_client, hatay):
    from django.utils import translation

    from geopool.models import ServiceRequest

    events = admin_client.get("/admin/geopool/event/").content.decode()
    for label in ["Zaman", "İşlem", "Nesne türü", "Nesne kimliği", "İşlemi yapan (ad)"]:
        assert label in events, label

    field = ServiceRequest._meta.get_field
    with translation.override("tr"):
        labels = [
            str(field(name).verbose_name)
            for name in ("tracking_code", "is_urgent", "sla_minutes", "owner_body")
        ]
    assert labels == [
        "Takip kodu",
        "Acil",
        "SLA hedefi (çalışma dakikası)",
        "Sahip kurum",
    ]
