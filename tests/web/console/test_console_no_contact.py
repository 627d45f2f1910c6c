"""A call saved with no way to answer the caller has no legal answer clock."""

import pytest

from geopool.models import Contact
from geopool.services.notify import citizen_notify
from tests.web.console.helpers import by_testid, call
from tests.web.console.test_console_pages import _saved
from tests.web.requestpages.html import text

pytestmark = pytest.mark.django_db

NO_CONTACT = {
    "first_name": "",
    "last_name": "",
    "phone": "",
    "email": "",
    "tc_kimlik_no": "",
}


@pytest.fixture
def operator(make_staff):
    return make_staff("operator", body="HBB")


def test_a_call_without_any_contact_has_no_legal_deadline(client, operator):
    client.force_login(operator)
    item, kind = _saved(client.post("/console/", call(**NO_CONTACT)))
    assert kind == "new"
    assert not item.is_anonymous
    assert not Contact.objects.filter(request=item).exists()
    assert item.legal_due_at is None
    assert item.sla_due_at is not None  # the body's own target still runs
    page = client.get(f"/console/done/{item.tracking_code}/?as=new").content.decode()
    assert by_testid(page, "contact-note") == (
        "Telefon numarası veya e-posta adresi verilmedi: anonim başvurudaki gibi "
        "yasal yanıt süresi yoktur ve mesaj gönderilmez; arayan talebi takip "
        "koduyla izler."
    )


def test_a_name_alone_cannot_be_answered(client, operator, make_staff):
    client.force_login(operator)
    item, _ = _saved(
        client.post("/console/", call(**{**NO_CONTACT, "first_name": "Ayşe"}))
    )
    assert Contact.objects.get(request=item).first_name == "Ayşe"
    assert item.legal_due_at is None
    assert citizen_notify(item, "answer") == []
    staff = make_staff("body_staff", body="ANTAKYA")
    client.force_login(staff)
    page = client.get(f"/requests/{item.tracking_code}/").content.decode()
    assert text(page, "legal") == (
        "Yok: telefon numarası veya e-posta adresi verilmedi; vatandaşa yanıt "
        "verilemez ve yasal yanıt süresi yoktur."
    )


def test_an_e_mail_alone_starts_the_legal_clock(client, operator):
    client.force_login(operator)
    item, _ = _saved(
        client.post("/console/", call(**{**NO_CONTACT, "email": "ayse@example.com"}))
    )
    assert item.legal_due_at is not None
