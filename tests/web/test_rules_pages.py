"""The coordinator's rule pages: list, edit, test one point, simulate, activate.

What the demo data must contain (checked in ``d827``): the roads layer's
generation 1 holds the KGM state highway D-827, whose first segment runs
straight from (36.193, 36.227) to (36.201, 36.2305), far from every other
road. A point 5 m from the middle of that segment, computed below on a
transverse Mercator centred there, is a ``YOL-BAKIM`` request for
Karayolları (rule ``YOL-KGM``: within 25 m of a KGM road).

Scenario used throughout: a draft (v3, a copy of the pack's v2) in which
``SU-KANAL-HATSU`` gives water and sewerage to HBB instead of HATSU.
"""

import html
import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import LineString
from django.utils import timezone, translation

from pyproj import Geod, Transformer

from boundaries.models import Feature, Generation, Layer
from geopool.models import Event
from geopool.web.l10n import datetime_text
from geopool.web.rules import views
from routing_rules.decide import decide
from routing_rules.errors import OutsideServiceArea
from routing_rules.models import Rule, RuleSet
from tests.web.helpers import ANTAKYA as ANTAKYA_AT
from tests.web.helpers import request_at

pytestmark = pytest.mark.django_db

D827 = ((36.193, 36.227), (36.201, 36.2305))
D827_NAME = "D-827 devlet yolu (Antakya–Reyhanlı–Cilvegözü)"
KGM = "Karayolları 5. Bölge Müdürlüğü"
HATSU = "Hatay Su ve Kanalizasyon İdaresi (HATSU)"
HBB = "Hatay Büyükşehir Belediyesi"
WATER_RULE = "SU-KANAL-HATSU"
# Central Antakya, far from every district edge and every road.
ANTAKYA = (ANTAKYA_AT["lon"], ANTAKYA_AT["lat"])


def _text(message, **values):
    with translation.override("tr"):
        return str(message % values)


def map_properties(script):
    """The properties of every GeoJSON feature the map script draws."""
    decoder = json.JSONDecoder()
    found = []
    for match in re.finditer(
        r'\{"bbox"|\{"features"|\{"type": "FeatureCollection"', script
    ):
        try:
            data, _end = decoder.raw_decode(script, match.start())
        except json.JSONDecodeError:
            continue
        found += [f["properties"] for f in data.get("features", [])]
    return found


def point_beside_d827(metres):
    """(lon, lat) ``metres`` north-west of D-827's first segment's middle."""
    (x0, y0), (x1, y1) = D827
    middle = ((x0 + x1) / 2, (y0 + y1) / 2)
    local = (
        f"+proj=tmerc +lat_0={middle[1]} +lon_0={middle[0]} +k=1 +ellps=GRS80 +units=m"
    )
    to_local = Transformer.from_crs("EPSG:4326", local, always_xy=True)
    to_wgs = Transformer.from_crs(local, "EPSG:4326", always_xy=True)
    ax, ay = to_local.transform(x0, y0)
    bx, by = to_local.transform(x1, y1)
    length = ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5
    # The normal pointing left of the road's direction (north-west here).
    nx, ny = -(by - ay) / length, (bx - ax) / length
    return to_wgs.transform(nx * metres, ny * metres)


@pytest.fixture
def d827(hatay):
    road = Feature.objects.get(
        generation__layer__code="roads", generation__is_active=True, code="KGM-D827-1"
    )
    assert road.name == D827_NAME
    assert road.attributes["owner"] == "KGM"
    assert [tuple(c) for c in road.geometry.coords[:2]] == list(D827)
    lon, lat = point_beside_d827(5)
    _, _, metres = Geod(ellps="WGS84").inv(
        lon, lat, (D827[0][0] + D827[1][0]) / 2, (D827[0][1] + D827[1][1]) / 2
    )
    assert abs(metres - 5) < 0.01
    return lon, lat


@pytest.fixture
def coordinator(make_staff):
    return make_staff("coordinator", body="HBB")


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


def rule_values(rule, **changes):
    """The rule form's POST data for ``rule``, with ``changes``."""
    values = {
        "code": rule.code,
        "stage": rule.get_stage_display(),
        "priority": rule.priority,
        "group": rule.group,
        "categories": " ".join(rule.categories),
        "condition": rule.condition,
        "owner": rule.owner_text,
        "valid_from": rule.valid_from.isoformat() if rule.valid_from else "",
        "valid_to": rule.valid_to.isoformat() if rule.valid_to else "",
        "description": rule.description,
    }
    return values | changes


def make_draft(client):
    """POST "new draft from the active set"; return the draft."""
    response = client.post("/rules/drafts/")
    draft = RuleSet.objects.order_by("-version").first()
    assert response.status_code == 302
    assert response["Location"] == f"/rules/{draft.version}/"
    return draft


@pytest.fixture
def water_to_hbb(coordinator_client):
    """Draft v3 where water and sewerage go to HBB."""
    draft = make_draft(coordinator_client)
    rule = draft.rules.get(code=WATER_RULE)
    response = coordinator_client.post(
        f"/rules/{draft.version}/rules/{rule.pk}/",
        rule_values(rule, owner="body:HBB"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return draft


# -- who may do what ----------------------------------------------------------


def test_anonymous_visitor_is_sent_to_log_in(client, hatay):
    response = client.get("/rules/2/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/rules/2/"


def test_user_without_staff_profile_gets_403(client, hatay):
    client.force_login(get_user_model().objects.create_user("citizen"))
    assert client.get("/rules/").status_code == 403
    assert client.get("/rules/2/test/").status_code == 403


def test_other_staff_read_and_test_but_change_nothing(client, make_staff):
    client.force_login(make_staff("body_staff", body="ANTAKYA"))

    listing = client.get("/rules/")
    page = client.get("/rules/2/")
    test = client.get("/rules/2/test/")
    refused = [
        client.post("/rules/drafts/"),
        client.get("/rules/2/simulate/"),
        client.get("/rules/2/activate/"),
        client.post("/rules/2/activate/"),
        client.get("/rules/2/rules/new/"),
    ]

    assert (listing.status_code, page.status_code, test.status_code) == (200,) * 3
    assert 'data-testid="new-draft"' not in listing.text
    assert 'data-testid="edit-rule"' not in page.text
    assert 'data-testid="nav-simulate"' not in page.text
    assert [r.status_code for r in refused] == [403] * 5
    assert "Koordinatör rolü için havuz yöneticisine başvurun" in refused[0].text
    assert RuleSet.objects.count() == 1


def test_administrators_may_make_drafts(client, make_staff):
    client.force_login(make_staff("administrator", body="HBB"))
    assert make_draft(client).version == 3


def test_navigation_shows_rules_to_every_staff_member(client, make_staff):
    client.force_login(make_staff("operator", body="HBB"))
    assert 'href="/rules/"' in client.get("/map/").text


# -- list and rule set page ---------------------------------------------------


def test_list_shows_each_set_with_its_state_and_rule_count(coordinator_client):
    assert (
        "Etkin v2 kümesinden yeni taslak: v3" in coordinator_client.get("/rules/").text
    )
    make_draft(coordinator_client)

    page = coordinator_client.get("/rules/")

    rows = page.context["rows"]
    assert [(r["rule_set"].version, r["state"]) for r in rows] == [
        (3, "draft"),
        (2, "active"),
    ]
    assert [r["rule_set"].rule_count for r in rows] == [35, 35]
    assert '<tr data-version="2" data-state="active">' in page.text
    # With draft v3 kept, the button names the version it makes next.
    assert "Etkin v2 kümesinden yeni taslak: v4" in page.text
    assert make_draft(coordinator_client).version == 4


def test_new_draft_is_a_copy_of_the_active_set_and_audited(
    coordinator_client, coordinator
):
    draft = make_draft(coordinator_client)

    assert draft.is_draft and draft.based_on.version == 2
    assert sorted(draft.rules.values_list("code", flat=True)) == sorted(
        RuleSet.objects.get(version=2).rules.values_list("code", flat=True)
    )
    event = Event.objects.get(action="rule_set.draft")
    assert event.actor == coordinator
    assert event.after == {"version": 3, "based_on": 2}
    page = coordinator_client.get("/rules/3/")
    assert _text(views.DRAFT_CREATED, version=3, base=2) in page.text


def test_rule_set_page_shows_rules_by_stage_with_owners_and_dormant_layers(
    coordinator_client,
):
    page = coordinator_client.get("/rules/2/")

    sections = page.context["sections"]
    assert [s["group"] for s in sections] == ["", "road-owner"]
    assert [s["stage"] for s in sections[0]["stages"]] == [10, 20, 30, 40, 50]
    rows = {
        row["rule"].code: row
        for section in sections
        for stage in section["stages"]
        for row in stage["rows"]
    }
    assert rows["YOL-KGM"]["owner"] == KGM
    assert rows["YOL-KGM"]["dormant"] == []
    assert rows["KIYI-HBB"]["dormant"] == ["coastline", "ports"]
    assert rows["PARK-BAKIM"]["owner"] == (
        "öğenin “maintainer” özniteliğinin adlandırdığı kurum"
    )
    assert rows["YAGMUR-YOL-SAHIBI"]["owner"] == (
        "“road-owner” kural grubunun belirlediği sahip"
    )
    assert 'data-dormant="coastline ports"' in page.text
    assert "etkin sürümü yok: coastline, ports" in page.text
    assert "Denetimler sorun bulmadı." in page.text
    # A live set offers no editing.
    assert 'data-testid="edit-rule"' not in page.text


def test_a_set_that_has_been_live_cannot_be_edited(coordinator_client):
    rule = Rule.objects.get(rule_set__version=2, code=WATER_RULE)

    opened = coordinator_client.get(f"/rules/2/rules/{rule.pk}/", follow=True)
    response = coordinator_client.post(
        f"/rules/2/rules/{rule.pk}/", rule_values(rule, owner="body:HBB")
    )

    # Opening the form is turned away; a form sent anyway is refused, kept.
    assert _text(views.NOT_A_DRAFT, version=2) in opened.text
    assert response.status_code == 409
    assert _text(views.SET_WENT_LIVE, version=2) in html.unescape(response.text)
    assert 'value="body:HBB"' in response.text
    rule.refresh_from_db()
    assert rule.owner_body_code == "HATSU"


# -- editing ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        # A category that does not exist, named in the message.
        (
            {"categories": "KANAL SU NOPE"},
            "kural SU-KANAL-HATSU: bilinmeyen kategori NOPE",
        ),
        # A body that does not exist.
        (
            {"owner": "body:HATSUU"},
            "kural SU-KANAL-HATSU: bilinmeyen sahip kurum HATSUU",
        ),
        # A condition the grammar cannot read.
        (
            {"condition": "within ten m of roads"},
            "kural SU-KANAL-HATSU: 'within ten m of roads' koşul terimi okunamıyor; "
            "beklenen: 'anywhere', 'inside KATMAN[öznitelik=değer] + N m' veya "
            "'within N m of KATMAN[öznitelik=değer]'; 'and' ile birleştirilir, her "
            "biri 'not' ile başlayabilir",
        ),
    ],
)
def test_refused_rule_edit_shows_the_reason_and_keeps_the_input(
    coordinator_client, changes, reason
):
    draft = make_draft(coordinator_client)
    rule = draft.rules.get(code=WATER_RULE)

    response = coordinator_client.post(
        f"/rules/3/rules/{rule.pk}/", rule_values(rule, **changes)
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        _text(views.NOT_SAVED, reason=reason)
    ]
    assert html.escape(_text(views.NOT_SAVED, reason=reason)) in response.text
    (name, value), *_ = changes.items()
    assert f'name="{name}" value="{html.escape(value)}"' in response.text
    rule.refresh_from_db()
    assert (rule.categories, rule.owner_body_code) == (["KANAL", "SU"], "HATSU")


# The newcomer's rule: a missing category, layer and body at once.
BAD_RULE = {
    "code": "YOL-TEST",
    "stage": "category_default",
    "priority": "50",
    "categories": "NOPE",
    "condition": "within 10 m of roadz",
    "owner": "body:HATSUU",
}


def test_refused_new_rule_names_every_problem_in_turkish(coordinator_client):
    make_draft(coordinator_client)
    layers = ", ".join(sorted(Layer.objects.values_list("code", flat=True)))

    response = coordinator_client.post("/rules/3/rules/new/", BAD_RULE)

    assert "roads" in layers.split(", ")
    assert response.context["form"].non_field_errors() == [
        "Kaydedilmedi: kural YOL-TEST: bilinmeyen kategori NOPE; kural YOL-TEST: "
        f"bilinmeyen katman roadz; katmanlar: {layers}; kural YOL-TEST: "
        "bilinmeyen sahip kurum HATSUU"
    ]
    assert not Rule.objects.filter(rule_set__version=3, code="YOL-TEST").exists()


def test_refused_new_rule_is_in_english_for_an_english_reader(coordinator_client):
    make_draft(coordinator_client)
    layers = ", ".join(sorted(Layer.objects.values_list("code", flat=True)))

    response = coordinator_client.post(
        "/rules/3/rules/new/", BAD_RULE, headers={"Accept-Language": "en"}
    )

    assert response.context["form"].non_field_errors() == [
        "Not saved: rule YOL-TEST: unknown category NOPE; rule YOL-TEST: unknown "
        f"layer roadz; the layers are {layers}; rule YOL-TEST: unknown owner body "
        "HATSUU"
    ]


def test_rule_set_checks_are_shown_in_turkish(coordinator_client):
    draft = make_draft(coordinator_client)
    # Written past the service, as a layer attribute dropped since the save.
    draft.rules.filter(code=WATER_RULE).update(
        owner_kind="attribute", owner_body_code="", owner_attribute="maintainer"
    )

    page = coordinator_client.get("/rules/3/")

    assert page.context["errors"] == [
        "kural SU-KANAL-HATSU: attribute:maintainer sahibi bir katman nesnesi "
        "ister; koşul bir katman adı vermeli ('inside …' veya 'within …')"
    ]


def test_valid_rule_edit_is_saved_and_audited(coordinator_client, coordinator):
    draft = make_draft(coordinator_client)
    rule = draft.rules.get(code=WATER_RULE)

    response = coordinator_client.post(
        f"/rules/3/rules/{rule.pk}/",
        rule_values(rule, owner="body:HBB", valid_from="2027-01-01"),
        follow=True,
    )

    rule.refresh_from_db()
    assert (rule.owner_kind, rule.owner_body_code) == ("body", "HBB")
    assert rule.valid_from.isoformat() == "2027-01-01"
    assert _text(views.RULE_SAVED, code=WATER_RULE) in response.text
    assert response.context["changes"]["changed"] == [WATER_RULE]
    event = Event.objects.filter(action="rule.save").latest("id")
    assert event.actor == coordinator
    assert event.before == {"condition": "anywhere", "owner": "body:HATSU"}
    assert event.after["owner"] == "body:HBB"
    # The live set is untouched.
    assert decide(ANTAKYA, "SU").owner_body.code == "HATSU"


def test_new_rule_and_its_deletion(coordinator_client):
    make_draft(coordinator_client)
    values = {
        "code": "SU-TEST",
        "stage": "emergency",
        "priority": "5",
        "categories": "SU",
        "condition": "inside parks",
        "owner": "attribute:maintainer",
    }

    coordinator_client.post("/rules/3/rules/new/", values)
    rule = Rule.objects.get(rule_set__version=3, code="SU-TEST")
    response = coordinator_client.post(f"/rules/3/rules/{rule.pk}/delete/", follow=True)

    inside_parks = {
        "op": "inside",
        "layer": "parks",
        "filter": {},
        "buffer_m": 0.0,
        "negate": False,
    }
    assert rule.terms == [inside_parks]
    assert not Rule.objects.filter(rule_set__version=3, code="SU-TEST").exists()
    assert _text(views.RULE_DELETED, code="SU-TEST") in response.text


def test_delegation_is_added_and_deleted(coordinator_client):
    make_draft(coordinator_client)
    values = {
        "code": "MEZARLIK-ANTAKYA",
        "from_body": "HBB",
        "to_body": "",
        "categories": "MEZARLIK",
        "district_codes": "2080",
        "valid_from": "2027-01-01",
        "valid_to": "",
        "decision_ref": "2026/412",
        "description": "",
    }

    refused = coordinator_client.post(
        "/rules/3/delegations/new/", values | {"district_codes": "9999"}
    )
    saved = coordinator_client.post("/rules/3/delegations/new/", values, follow=True)
    delegation = RuleSet.objects.get(version=3).delegations.get()
    deleted = coordinator_client.post(
        f"/rules/3/delegations/{delegation.pk}/delete/", follow=True
    )

    assert (
        "yetki devri MEZARLIK-ANTAKYA: bilinmeyen ilçe kodu 9999; ilçeler: "
        in refused.text
    )
    assert (delegation.to_body_code, delegation.district_codes) == ("", ["2080"])
    assert "noktanın ilçe belediyesi" in saved.text
    assert _text(views.DELEGATION_DELETED, code="MEZARLIK-ANTAKYA") in deleted.text
    assert not RuleSet.objects.get(version=3).delegations.exists()
    assert Event.objects.filter(action="delegation.delete").count() == 1


def test_rule_texts_are_escaped(coordinator_client):
    draft = make_draft(coordinator_client)
    rule = draft.rules.get(code=WATER_RULE)
    hostile = "<script>alert('x')</script>"

    coordinator_client.post(
        f"/rules/3/rules/{rule.pk}/", rule_values(rule, description=hostile)
    )
    page = coordinator_client.get("/rules/3/")

    assert hostile not in page.text
    assert html.escape(hostile) in page.text


# -- activation ---------------------------------------------------------------


def test_activation_switches_live_routing_and_is_audited(
    coordinator_client, coordinator, water_to_hbb
):
    before = decide(ANTAKYA, "SU")
    confirm = coordinator_client.get("/rules/3/activate/")

    response = coordinator_client.post("/rules/3/activate/", follow=True)

    after = decide(ANTAKYA, "SU")
    assert (before.owner_body.code, before.rule_set_version) == ("HATSU", 2)
    assert (after.owner_body.code, after.rule_set_version) == ("HBB", 3)
    assert after.explanation_tr == (
        f"Su arızası veya kesintisi, Antakya ilçe sınırı içinde, kural "
        f"{WATER_RULE}: {HBB}"
    )
    assert confirm.context["changes"]["changed"] == [WATER_RULE]
    assert _text(views.ACTIVATED, version=3) in response.text
    assert RuleSet.objects.get(is_active=True).version == 3
    assert RuleSet.objects.get(version=2).activated_at is not None
    event = Event.objects.get(action="rule_set.activate", actor=coordinator)
    assert (event.before, event.after) == (
        {"active_version": 2},
        {"active_version": 3},
    )
    listing = coordinator_client.get("/rules/")
    assert [(r["rule_set"].version, r["state"]) for r in listing.context["rows"]] == [
        (3, "active"),
        (2, "retired"),
    ]


def test_an_invalid_draft_is_not_activated(coordinator_client):
    draft = make_draft(coordinator_client)
    # Written past the service, as a body deactivated since the save would.
    draft.rules.filter(code=WATER_RULE).update(owner_body_code="GONE")

    confirm = coordinator_client.get("/rules/3/activate/")
    response = coordinator_client.post("/rules/3/activate/", follow=True)

    reason = (
        "v3 kural kümesi etkinleştirilemez: kural SU-KANAL-HATSU: bilinmeyen sahip "
        "kurum GONE"
    )
    assert 'data-testid="confirm-activate"' not in confirm.text
    assert "kural SU-KANAL-HATSU: bilinmeyen sahip kurum GONE" in confirm.text
    assert _text(views.NOT_ACTIVATED, reason=reason) in response.text
    assert RuleSet.objects.get(is_active=True).version == 2
    assert not Event.objects.filter(action="rule_set.activate", object_id=str(draft.pk))


# -- test one point -----------------------------------------------------------


def test_point_5_m_from_a_state_highway_goes_to_karayollari(coordinator_client, d827):
    lon, lat = d827

    page = coordinator_client.get(
        "/rules/2/test/", {"lon": lon, "lat": lat, "category": "YOL-BAKIM"}
    )

    result = page.context["result"]
    assert result["owner"] == KGM
    assert result["outcome"].rule_code == "YOL-KGM"
    assert result["outcome"].flags == []
    tr = f"Yol bozukluğu, {D827_NAME} 5 m uzakta, kural YOL-KGM: {KGM}"
    en = f"Pothole or road damage, 5 m from {D827_NAME}, rule YOL-KGM: {KGM}"
    assert (result["outcome"].explanation_tr, result["outcome"].explanation_en) == (
        tr,
        en,
    )
    assert tr in page.text and en in page.text
    assert [(s["rule"], s["status"]) for s in result["trace"]] == [
        ("YOL-HBB", "no_match"),
        ("YOL-ILCE", "no_match"),
        ("YOL-KGM", "matched"),
    ]
    road = [c for c in result["candidates"] if c["layer"] == "roads"]
    assert road == [
        {
            "layer": "roads",
            "feature": D827_NAME,
            "code": "KGM-D827-1",
            "distance_m": 5.0,
            "rule": "YOL-KGM",
            "body": "KGM",
            "body_name": f"{KGM} (KGM)",
        }
    ]
    drawn = map_properties(page.context["map"].parts.script)
    (popup,) = [p["popup"] for p in drawn if "popup" in p and "D-827" in p["popup"]]
    assert popup == (
        f"<strong>{D827_NAME}</strong> <small>roads — temsili · KGM-D827-1</small>"
        "<ul class='mb-0 ps-3'><li>5 m · kural YOL-KGM · "
        f"{KGM} (KGM)</li></ul>"
    )
    # The 15 districts for orientation, then the candidates: the district
    # that covers the point and the road.
    assert len(drawn) == 17
    assert page.context["map"].candidates == 2  # the road and the district


def test_trace_names_dormant_rules(coordinator_client):
    page = coordinator_client.get(
        "/rules/2/test/", {"lon": ANTAKYA[0], "lat": ANTAKYA[1], "category": "KIYI"}
    )

    trace = page.context["result"]["trace"]
    assert [(s["rule"], s["status"], s["text"]) for s in trace] == [
        (
            "KIYI-HBB",
            "dormant",
            "uykuda: etkin sürümü olmayan katman: coastline, ports",
        ),
        ("ILCE-HIZMETLERI", "matched", "eşleşti: bu kural karar verdi"),
    ]
    assert 'data-status="dormant" data-rule="KIYI-HBB"' in page.text


def test_a_point_is_tested_with_the_chosen_sets_own_rules(
    coordinator_client, water_to_hbb
):
    query = {"lon": "36,1603", "lat": "36,2021", "category": "SU"}

    draft = coordinator_client.get("/rules/3/test/", query)
    live = coordinator_client.get("/rules/2/test/", query)

    assert draft.context["result"]["owner"] == HBB
    assert live.context["result"]["owner"] == HATSU
    assert decide(ANTAKYA, "SU").owner_body.code == "HATSU"


def test_a_day_outside_a_rules_dates_skips_it(coordinator_client, coordinator):
    make_draft(coordinator_client)
    rule = Rule.objects.get(rule_set__version=3, code=WATER_RULE)
    coordinator_client.post(
        f"/rules/3/rules/{rule.pk}/", rule_values(rule, valid_to="2026-12-31")
    )
    query = {"lon": ANTAKYA[0], "lat": ANTAKYA[1], "category": "SU"}

    inside = coordinator_client.get("/rules/3/test/", query | {"date": "2026-12-31"})
    after = coordinator_client.get("/rules/3/test/", query | {"date": "2027-01-01"})

    assert inside.context["result"]["outcome"].rule_code == WATER_RULE
    assert after.context["result"]["trace"][0] == {
        "rule": WATER_RULE,
        "status": "not_valid",
        "text": "bu tarihte geçerli değil",
        "group": "",
    }


def _out_of_area_message():
    with pytest.raises(OutsideServiceArea) as raised:
        decide((30.0, 36.0), "COP")
    return str(raised.value)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        # Not a number.
        ({"lon": "abc"}, "lon", "Bir sayı girin."),
        # Not a latitude at all.
        (
            {"lat": "200"},
            "lat",
            "Bu değerin 90 değerinden az veya eşit olduğuna emin olun.",
        ),
        # A category the pool does not have.
        (
            {"category": "NOPE"},
            "category",
            "Geçerli bir seçenek seçin. NOPE mevcut seçeneklerden biri değil.",
        ),
        # Not a day.
        ({"date": "2026-13-01"}, "date", "Geçerli bir tarih girin."),
        # In Türkiye, but far outside Hatay's service area: the routing error.
        ({"lon": "30", "lat": "36"}, "__all__", None),
    ],
)
def test_bad_point_input_is_a_form_error(coordinator_client, query, field, message):
    base = {"lon": ANTAKYA[0], "lat": ANTAKYA[1], "category": "COP"}

    page = coordinator_client.get("/rules/2/test/", base | query)

    message = message or _out_of_area_message()
    assert page.status_code == 200
    assert page.context["form"].errors == {field: [message]}
    assert page.context["result"] is None
    assert html.escape(message) in page.text


def test_candidate_names_are_escaped_on_the_map(coordinator_client, d827):
    roads = Generation.objects.get(layer__code="roads", is_active=True)
    hostile = '<img src=x onerror="alert(1)">'
    lon, lat = d827
    Feature.objects.create(
        generation=roads,
        name=hostile,
        code="KGM-TEST",
        attributes={"class": "state_highway", "ref": "", "owner": "KGM"},
        # About 2 m north of the point: nearer than D-827.
        geometry=LineString((lon - 0.001, lat + 0.00002), (lon + 0.001, lat + 0.00002)),
    )

    page = coordinator_client.get(
        "/rules/2/test/", {"lon": lon, "lat": lat, "category": "YOL-BAKIM"}
    )

    assert page.context["result"]["outcome"].candidates[1]["feature"] == hostile
    assert hostile not in page.text
    drawn = map_properties(page.context["map"].parts.script)
    escaped = html.escape(hostile, quote=False).replace('"', "&quot;")
    assert f"{escaped} (KGM-TEST)" in [p["tooltip"] for p in drawn]
    assert not any(hostile in str(value) for p in drawn for value in p.values())


# -- simulation ---------------------------------------------------------------


def test_simulation_shows_whose_requests_a_draft_moves(
    coordinator_client, water_to_hbb
):
    water = [request_at("SU", *ANTAKYA), request_at("SU", 36.1710, 36.5902)]
    request_at("COP", *ANTAKYA)
    since = (timezone.localdate() - timedelta(days=1)).isoformat()

    page = coordinator_client.get("/rules/3/simulate/", {"since": since})

    result = page.context["result"]
    assert result["counts"] == {
        "total": "3",
        "routed": "3",
        "changed": "2",
        "triage": "0",
        "skipped": "0",
        "moved_by_hand": "0",
    }
    assert result["columns"] == [{"code": "HBB", "name": f"{HBB} (HBB)"}]
    assert result["rows"] == [
        {"code": "HATSU", "name": HATSU, "cells": [2], "total": 2}
    ]
    assert sorted(e["tracking_code"] for e in result["examples"]) == sorted(
        r.tracking_code for r in water
    )
    for request in water:
        assert f'data-tracking-code="{request.tracking_code}"' in page.text
    assert '<tr data-from="HATSU">' in page.text
    assert (
        "Su arızası veya kesintisi, Antakya ilçe sınırı içinde, kural "
        f"{WATER_RULE}: {HBB}"
    ) in page.text


def test_simulation_form_offers_six_months_and_refuses_the_future(
    coordinator_client,
):
    empty = coordinator_client.get("/rules/2/simulate/")
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    future = coordinator_client.get("/rules/2/simulate/", {"since": tomorrow})
    not_a_day = coordinator_client.get("/rules/2/simulate/", {"since": "yesterday"})

    months_ago = (timezone.localdate() - empty.context["form"]["since"].initial).days
    assert 180 <= months_ago <= 185 and empty.context["result"] is None
    assert future.context["form"].errors == {
        "since": [f"{tomorrow} ileri bir tarih; o tarihten beri gelmiş talep olamaz."]
    }
    assert not_a_day.context["form"].errors == {"since": ["Geçerli bir tarih girin."]}


# -- two coordinators editing one rule ------------------------------------------


def test_a_stale_rule_edit_is_refused_naming_who_changed_it(
    coordinator_client, make_staff
):
    draft = make_draft(coordinator_client)
    rule = draft.rules.get(code=WATER_RULE)
    read = coordinator_client.get(f"/rules/3/rules/{rule.pk}/")
    seen = read.context["form"].initial["seen"]
    priority = rule.priority
    other = make_staff("coordinator", body="HBB", username="koordinator-2")
    coordinator_client.force_login(other)
    coordinator_client.post(
        f"/rules/3/rules/{rule.pk}/", rule_values(rule, priority=11, seen=seen)
    )
    coordinator_client.force_login(
        get_user_model().objects.get(username="coordinator-hbb")
    )

    stale = coordinator_client.post(
        f"/rules/3/rules/{rule.pk}/",
        rule_values(rule, owner="body:HBB", description="mine", seen=seen),
    )

    rule.refresh_from_db()
    message = _text(
        views.RULE_CHANGED,
        code=WATER_RULE,
        who="koordinator-2",
        when=datetime_text(rule.updated_at),
    )
    assert stale.status_code == 409
    assert stale.context["form"].non_field_errors() == [message]
    assert (rule.priority, rule.owner_body_code) == (priority + 1, "HATSU")
    assert 'value="mine"' in stale.text
    assert stale.context["current"] == rule
    assert 'data-testid="rule-now"' in stale.text
    # Saving the kept values again replaces the other change knowingly.
    again = coordinator_client.post(
        f"/rules/3/rules/{rule.pk}/", stale.context["form"].data
    )
    rule.refresh_from_db()
    assert again.status_code == 302
    assert (rule.priority, rule.owner_body_code, rule.description) == (
        priority,
        "HBB",
        "mine",
    )


def test_a_rule_changed_since_the_page_was_read_is_not_deleted(coordinator_client):
    draft = make_draft(coordinator_client)
    rule = draft.rules.get(code=WATER_RULE)
    seen = rule.updated_at.isoformat()
    coordinator_client.post(
        f"/rules/3/rules/{rule.pk}/", rule_values(rule, priority=11, seen=seen)
    )

    response = coordinator_client.post(
        f"/rules/3/rules/{rule.pk}/delete/", {"seen": seen}
    )

    rule.refresh_from_db()
    message = _text(
        views.RULE_CHANGED_BEFORE_DELETE,
        code=WATER_RULE,
        who="coordinator-hbb",
        when=datetime_text(rule.updated_at),
    )
    assert response.status_code == 409
    assert html.escape(message) in response.text
    assert Rule.objects.filter(pk=rule.pk).exists()
