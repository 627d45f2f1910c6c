"""Two staff acting on one request at the same moment: exactly one wins.

Each race runs two real HTTP posts in two threads, each with its own
database connection. The test holds the request's row lock while both
posts start, waits until PostgreSQL shows both of them queued behind it,
then lets go: both transactions really compete for the row. PostgreSQL
hands a row lock to its waiters in the order they queued, so the test
chooses who queues first and asserts that post's outcome exactly, and the
other's ``WorkflowError`` message. A last race starts both posts at once
with nothing held, and asserts one consistent outcome whichever wins.
"""

import threading
import time

import pytest
from django.db import connection, transaction
from django.test import Client

from geopool.models import Answer, Event, Photo, ServiceRequest, Status, Transfer
from geopool.services.photos import photo_store
from geopool.services.publication import public_text_digest
from geopool.services.workflow import status_change, transfer_propose
from tests.web.public.conftest import jpeg
from tests.web.requestpages.conftest import page_url
from tests.web.requestpages.html import messages, texts

pytestmark = pytest.mark.django_db(transaction=True)

ALREADY_ACCEPTED = "Bu devir zaten yanıtlandı: Kabul edildi."
ALREADY_REFUSED = "Bu devir zaten yanıtlandı: Reddedildi; koordinatör karar verecek."
RESOLVED_FIRST = "Başvuru “Çözüldü” durumunda; devretmeden önce yeniden açın."
TRANSFER_FIRST = (
    "Bu başvurunun devri yanıt bekliyor; devri geri alın veya diğer kurumun "
    "yanıtını bekleyin."
)
WAIT_SECONDS = 20


def _client(user, item):
    """A logged-in client that has opened the page once.

    The first request of a process imports the URL modules and loads the
    translations; done here, the posts in the threads do only their work.
    """
    client = Client()
    client.force_login(user)
    assert client.get(page_url(item)).status_code == 200
    return client


def _waiting_for_locks():
    with connection.cursor() as cursor:
        # Inside a transaction the activity view is read once and kept.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def _until_waiting(count):
    deadline = time.monotonic() + WAIT_SECONDS
    while _waiting_for_locks() < count:
        if time.monotonic() > deadline:
            pytest.fail(f"{count} posts never queued for the request's row lock")
        time.sleep(0.01)


class _Post(threading.Thread):
    """One HTTP post in its own thread (and so its own connection)."""

    def __init__(self, client, url, data, start_together=None):
        super().__init__(daemon=True)
        self.client, self.url, self.data = client, url, data
        self.start_together = start_together
        self.response = self.error = None

    def run(self):
        try:
            if self.start_together is not None:
                self.start_together.wait(WAIT_SECONDS)
            self.response = self.client.post(self.url, self.data)
        except Exception as exc:  # reported by the test thread
            self.error = exc
        finally:
            connection.close()

    def outcome(self):
        self.join(WAIT_SECONDS)
        assert not self.is_alive(), f"the post to {self.url} never finished"
        assert self.error is None, self.error
        return self.response


def _queued(item, first, second):
    """Run ``first`` and ``second`` queued in that order behind a held lock."""
    with transaction.atomic():
        ServiceRequest.objects.select_for_update().get(pk=item.pk)
        first.start()
        _until_waiting(1)
        second.start()
        _until_waiting(2)
    return first.outcome(), second.outcome()


def _transfer_race(item, transfer, person):
    url = page_url(item, f"transfers/{transfer.pk}/answer")
    accept = _Post(_client(person("defne"), item), url, {"decision": "accept"})
    refuse = _Post(
        _client(person("defne_2"), item),
        url,
        {"decision": "refuse", "note": "Bizim değil"},
    )
    return url, accept, refuse


def _answers(item):
    return list(
        Event.objects.filter(
            object_id=str(item.pk), action__in=["transfer.accept", "transfer.refuse"]
        ).values_list("action", "actor__username")
    )


def test_two_answers_to_one_transfer_exactly_one_wins(new_request, person):
    # Accept queues first: it wins, refusing is told it was accepted.
    item = new_request()
    transfer = transfer_propose(item, "DEFNE", "not_our_duty", actor=person("antakya"))
    _url, accept, refuse = _transfer_race(item, transfer, person)
    won, lost = _queued(item, accept, refuse)
    assert (won.status_code, lost.status_code) == (302, 409)
    assert messages(lost.content) == [ALREADY_ACCEPTED]
    # The refusing user's typed reason is kept on the page, to use again.
    assert texts(lost.content, "unsaved-text") == ["Bizim değil"]
    assert (
        "Yazdıklarınız kaydedilmedi; yeniden kullanabilmeniz için burada duruyor:"
    ) in lost.content.decode()
    item.refresh_from_db()
    assert (item.owner_body.code, item.status, item.needs_triage) == (
        "DEFNE",
        Status.ACCEPTED,
        False,
    )
    assert Transfer.objects.get(pk=transfer.pk).state == "accepted"
    assert _answers(item) == [("transfer.accept", "defne")]

    # Refuse queues first: it wins, accepting is told it was refused.
    item = new_request()
    transfer = transfer_propose(item, "DEFNE", "not_our_duty", actor=person("antakya"))
    _url, accept, refuse = _transfer_race(item, transfer, person)
    won, lost = _queued(item, refuse, accept)
    assert (won.status_code, lost.status_code) == (302, 409)
    assert messages(lost.content) == [ALREADY_REFUSED]
    item.refresh_from_db()
    assert (item.owner_body.code, item.status, item.needs_triage) == (
        "ANTAKYA",
        Status.NEW,
        True,
    )
    assert Transfer.objects.get(pk=transfer.pk).state == "refused"
    assert _answers(item) == [("transfer.refuse", "defne-2")]

    # Both at once, nothing held: whoever wins, one consistent outcome.
    item = new_request()
    transfer = transfer_propose(item, "DEFNE", "not_our_duty", actor=person("antakya"))
    _url, accept, refuse = _transfer_race(item, transfer, person)
    together = threading.Barrier(2)
    accept.start_together = refuse.start_together = together
    accept.start()
    refuse.start()
    responses = {"accept": accept.outcome(), "refuse": refuse.outcome()}
    codes = sorted(r.status_code for r in responses.values())
    assert codes == [302, 409]
    state = Transfer.objects.get(pk=transfer.pk).state
    item.refresh_from_db()
    if state == "accepted":
        assert messages(responses["refuse"].content) == [ALREADY_ACCEPTED]
        assert item.owner_body.code == "DEFNE" and not item.needs_triage
    else:
        assert state == "refused"
        assert messages(responses["accept"].content) == [ALREADY_REFUSED]
        assert item.owner_body.code == "ANTAKYA" and item.needs_triage
    assert len(_answers(item)) == 1


def _resolve_and_transfer(item, person):
    resolve = _Post(
        _client(person("antakya"), item),
        page_url(item, "status"),
        {"to": "resolved", "answer": "Konteyner boşaltıldı."},
    )
    transfer = _Post(
        _client(person("antakya_2"), item),
        page_url(item, "transfer"),
        {"to_body": person("defne").staff.body_id, "reason": "wrong_location"},
    )
    return resolve, transfer


def test_resolving_while_another_transfers_exactly_one_wins(new_request, person):
    # Resolving queues first: the transfer is refused, nothing is pending.
    item = new_request()
    status_change(item, Status.ACCEPTED, actor=person("antakya"))
    resolve, transfer = _resolve_and_transfer(item, person)
    won, lost = _queued(item, resolve, transfer)
    assert (won.status_code, lost.status_code) == (302, 409)
    assert messages(lost.content) == [RESOLVED_FIRST]
    item.refresh_from_db()
    assert item.status == Status.RESOLVED
    assert not Transfer.objects.filter(request=item).exists()
    assert Answer.objects.get(request=item).text == "Konteyner boşaltıldı."

    # The transfer queues first: resolving is refused, the answer not sent.
    item = new_request()
    status_change(item, Status.ACCEPTED, actor=person("antakya"))
    resolve, transfer = _resolve_and_transfer(item, person)
    won, lost = _queued(item, transfer, resolve)
    assert (won.status_code, lost.status_code) == (302, 409)
    assert messages(lost.content) == [TRANSFER_FIRST]
    item.refresh_from_db()
    assert item.status == Status.ACCEPTED
    assert Transfer.objects.get(request=item).state == "pending"
    assert not Answer.objects.filter(request=item).exists()
    assert item.sla_running_since is None  # paused by the pending transfer


def test_two_staff_writing_the_public_text_at_once_neither_is_lost(new_request, person):
    # Both opened the page while it had no public text; the first to get
    # the row saves, the second is told and keeps what they typed.
    item = new_request()
    url = page_url(item, "public-text")
    shown = public_text_digest("")
    first = _Post(
        _client(person("antakya"), item), url, {"text": "Birinci", "shown": shown}
    )
    second = _Post(
        _client(person("antakya_2"), item), url, {"text": "İkinci", "shown": shown}
    )
    won, lost = _queued(item, first, second)
    assert (won.status_code, lost.status_code) == (302, 409)
    assert messages(lost.content) == [
        "Bu arada başka bir kullanıcı herkese açık metni değiştirdi; metin şimdi "
        "şöyle: “Birinci”. Kontrol edin; sizinki onun yerine geçecekse yeniden "
        "kaydedin."
    ]
    assert texts(lost.content, "unsaved-text") == ["İkinci"]
    assert ServiceRequest.objects.get(pk=item.pk).public_description == "Birinci"
    assert list(
        Event.objects.filter(
            object_id=str(item.pk), action="request.public_text"
        ).values_list("actor__username", flat=True)
    ) == ["antakya"]


def test_two_staff_publishing_one_photo_at_once_publish_it_once(new_request, person):
    item = new_request()
    photo = photo_store(item, jpeg(), actor=person("antakya"))
    url = page_url(item, f"photos/{photo.pk}/publish")
    first = _Post(_client(person("antakya"), item), url, {})
    second = _Post(_client(person("antakya_2"), item), url, {})
    won, lost = _queued(item, first, second)
    assert (won.status_code, lost.status_code) == (302, 302)
    assert Photo.objects.get(pk=photo.pk).is_public
    assert list(
        Event.objects.filter(
            object_id=str(item.pk), action="request.photo_publish"
        ).values_list("actor__username", flat=True)
    ) == ["antakya"]
