"""Staff search by tracking code, folded address text and caller phone."""

import pytest

from geopool.models import Event
from tests.web.inbox.conftest import CONTACT, make_request
from tests.web.inbox.pages import table_codes, text

pytestmark = pytest.mark.django_db


def _found(client, query):
    response = client.get("/inbox/search", {"q": query})
    assert response.status_code == 200, text(response)
    return table_codes(response, "search-results")


@pytest.fixture
def street(hatay, defne):
    """An Antakya request on Ürgen Caddesi and a Defne request elsewhere."""
    return {
        "urgen": make_request(
            address="ÜRGEN CADDESİ No:5", description="Konteyner taştı"
        ),
        "kirikhan": make_request(
            address="Atatürk Cd.", description="Kırıkhan yolu girişinde çöp"
        ),
        "defne": make_request(point=defne, address="ÜRGEN SOKAK", contact=CONTACT),
    }


@pytest.mark.parametrize(
    "typed",
    [
        "ürgen",  # lower case with the Turkish letter
        "URGEN",  # ASCII upper case
        "Ürgen   caddesi",  # more spaces
        "ÜRGEN CADDESİ",  # as stored
        "urgen cad",
    ],
)
def test_address_text_is_matched_through_turkish_folding(client, staff, street, typed):
    client.force_login(staff["antakya"])
    assert _found(client, typed) == [street["urgen"].tracking_code]


def test_description_text_is_matched_too(client, staff, street):
    client.force_login(staff["antakya"])
    assert _found(client, "kirikhan") == [street["kirikhan"].tracking_code]
    assert _found(client, "KIRIKHAN YOLU") == [street["kirikhan"].tracking_code]
    # Every word must occur, in the address or in the description.
    assert _found(client, "atatürk kirikhan") == [street["kirikhan"].tracking_code]
    assert _found(client, "atatürk ürgen") == []


@pytest.mark.parametrize(
    "shape",
    [
        lambda code: code,  # as printed: K7M-4TXR
        lambda code: code.lower(),
        lambda code: code.replace("-", ""),
        lambda code: code.replace("-", "").lower(),
        lambda code: f"  {code.lower()} ",
    ],
)
def test_tracking_code_is_found_exactly_in_any_case_with_or_without_dash(
    client, staff, street, shape
):
    code = street["urgen"].tracking_code
    client.force_login(staff["antakya"])
    assert _found(client, shape(code)) == [code]


def test_part_of_a_tracking_code_finds_nothing(client, staff, street):
    client.force_login(staff["antakya"])
    assert _found(client, street["urgen"].tracking_code[:5]) == []


def test_results_are_cut_to_what_the_user_may_see(client, staff, street):
    client.force_login(staff["antakya"])
    assert _found(client, "ürgen") == [street["urgen"].tracking_code]
    assert _found(client, street["defne"].tracking_code) == []
    client.force_login(staff["defne"])
    assert _found(client, "ürgen") == [street["defne"].tracking_code]
    client.force_login(staff["coordinator"])
    assert sorted(_found(client, "ürgen")) == sorted(
        [street["urgen"].tracking_code, street["defne"].tracking_code]
    )


def test_results_link_to_the_request_page(client, staff, street):
    client.force_login(staff["antakya"])
    page = text(client.get("/inbox/search", {"q": "ürgen"}))
    code = street["urgen"].tracking_code
    assert f'<a href="/requests/{code}/"><code>{code}</code></a>' in page
    assert "1 başvuru bulundu" in page


def test_search_by_phone_is_logged_and_shows_the_phone_masked(client, staff, street):
    client.force_login(staff["defne"])
    response = client.get("/inbox/search", {"q": "0532 123 45 17"})
    assert table_codes(response, "search-results") == [street["defne"].tracking_code]
    page = text(response)
    assert '<td data-testid="masked-phone">0532 *** ** 17</td>' in page
    assert "05321234517" not in page
    assert "Bu telefon numarasından 1 başvuru" in page
    event = Event.objects.get(action="contact.search")
    assert (event.actor, event.after) == (
        staff["defne"],
        {"phone_ending": "17", "found": 1},
    )


def test_phone_search_finds_only_visible_requests(client, staff, street):
    client.force_login(staff["antakya"])
    response = client.get("/inbox/search", {"q": "+90 532 123 45 17"})
    assert table_codes(response, "search-results") == []
    # The read is on the record all the same.
    assert Event.objects.filter(
        action="contact.search", actor=staff["antakya"]
    ).exists()


def test_phone_search_is_refused_without_the_contact_permission(client, staff, street):
    client.force_login(staff["operator"])  # operators never see personal data
    response = client.get("/inbox/search", {"q": "05321234517"})
    assert response.status_code == 403
    assert (
        "Telefonla arama, arayanların kişisel verilerini okur; yalnızca arayan "
        "bilgilerini görebilen personel içindir."
    ) in text(response)
    assert table_codes(response, "search-results") == []
    assert not Event.objects.filter(action="contact.search").exists()
    # The same operator may search by code and address.
    assert sorted(_found(client, "ürgen")) == sorted(
        [street["urgen"].tracking_code, street["defne"].tracking_code]
    )


@pytest.mark.parametrize(
    "typed, status, message",
    [
        ("ab", 400, "en az 3 harfini ya da takip kodunun tamamını yazın"),
        ("x" * 201, 400, "Arama metni 200 karakterden uzun; kısaltın."),
    ],
)
def test_unusable_searches_say_why(client, staff, street, typed, status, message):
    client.force_login(staff["antakya"])
    response = client.get("/inbox/search", {"q": typed})
    assert response.status_code == status
    assert message in text(response)


def test_like_wildcards_are_plain_text(client, staff, street):
    client.force_login(staff["antakya"])
    assert _found(client, "%%%%") == []
    assert _found(client, "ürgen%") == []
    assert _found(client, "ürg_n") == []


def test_search_text_is_escaped(client, staff, street):
    client.force_login(staff["antakya"])
    page = text(client.get("/inbox/search", {"q": "<script>alert(1)</script>"}))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_nul_character_is_refused_with_the_reason(client, staff, street):
    client.force_login(staff["antakya"])
    response = client.get("/inbox/search", {"q": "ürg\x00en"})
    assert response.status_code == 400
    assert (
        "q, metinde bulunamayacak bir denetim karakteri (U+0000) içeriyor; düz "
        "metin olarak yeniden gönderin."
    ) in text(response)


def test_the_menu_leads_staff_without_an_inbox_to_the_search(make_staff):
    from tests.web.helpers import in_menu

    link = '<a class="nav-link" href="/inbox/search">Ara</a>'
    for role, shown in (
        ("operator", True),
        ("planner", True),
        ("body_staff", False),  # its inbox has a search tab
        ("coordinator", False),
    ):
        assert in_menu(make_staff, role, link) is shown, role
