"""Two coordinators changing one rule set at once: one wins, the other is told.

Saving or deleting a rule and activating its set lock the set's row
(``routing_rules.services.rule_sets``), so the second sees what the first
did. Where the order matters the test fixes it: the main thread holds the
set's lock while a contender, in its own thread with its own connection,
is seen waiting for it (``wait_for_waiter``). Where any order gives the
same outcome the contenders are released together by a barrier.

These tests commit (``transaction=True``), so the database is flushed after
each one: the ``hatay`` fixture reloads the pack and layers, and
``hatay_restored`` reloads them once more after the last test here.
"""

import html
import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import translation

from geopool.models import Event
from geopool.web.l10n import datetime_text
from geopool.web.rules import views
from routing_rules.decide import decide
from routing_rules.models import Rule, RuleSet
from routing_rules.services.rule_sets import (
    rule_delete,
    rule_set_activate,
    rule_set_draft,
)
from tests.web.test_rules_pages import rule_values

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("hatay_restored"),
]

# Central Antakya, far from every district edge and every road.
ANTAKYA = (36.1603, 36.2021)

NEW_RULE = {
    "code": "COP-LATE",
    "stage": "emergency",
    "priority": "10",
    "group": "",
    "categories": "COP",
    "condition": "anywhere",
    "owner": "body:HBB",
    "valid_from": "",
    "valid_to": "",
    "description": "typed while the set went live",
}


@pytest.fixture
def coordinators(make_staff):
    return [
        make_staff("coordinator", body="HBB", username=f"koordinator-{n}")
        for n in range(3)
    ]


@pytest.fixture
def draft(hatay):
    """Draft v3, a copy of the pack's v2."""
    return rule_set_draft()


def _text(message, **values):
    with translation.override("tr"):
        return str(message % values)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _post(user, path, data=None):
    """POST as ``user`` from this thread; the response, its connection closed."""
    try:
        return _client(user).post(path, data or {}, HTTP_ACCEPT_LANGUAGE="tr")
    finally:
        connections.close_all()


def race(*actions):
    """Run the callables in threads released together; their return values."""
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait(timeout=30)
            results[index] = action()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=a) for a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a contender never finished"
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def in_thread(action):
    """Start ``action`` in a thread; returns a function that joins it."""
    result = {}
    thread = threading.Thread(target=lambda: result.update(value=action()))
    thread.start()

    def joined():
        thread.join(timeout=60)
        assert not thread.is_alive(), "the contender never finished"
        return result["value"]

    return joined


def wait_for_waiter(timeout=20):
    """Return once another connection waits for a lock this one holds."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM (SELECT DISTINCT pid FROM pg_locks) l "
                "WHERE pg_backend_pid() = ANY(pg_blocking_pids(l.pid))"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("no contender waited for the rule set's lock")


def _actions(rule_set):
    return list(
        Event.objects.filter(
            object_type="routing_rules.ruleset", object_id=str(rule_set.pk)
        )
        .order_by("id")
        .values_list("action", flat=True)
    )


# -- a rule saved while its set goes live -----------------------------------


def test_a_rule_saved_while_its_set_goes_live_is_refused_and_kept_typed(
    coordinators, draft
):
    with transaction.atomic():
        RuleSet.objects.select_for_update().get(pk=draft.pk)
        saving = in_thread(
            lambda: _post(coordinators[0], "/rules/3/rules/new/", NEW_RULE)
        )
        wait_for_waiter()
        rule_set_activate(draft, actor=coordinators[1])
    response = saving()

    message = _text(views.SET_WENT_LIVE, version=3)
    assert response.status_code == 409
    assert response.context["form"].non_field_errors() == [message]
    assert html.escape(message) in response.text
    assert 'name="code" value="COP-LATE"' in response.text
    assert 'value="typed while the set went live"' in response.text
    assert not Rule.objects.filter(code="COP-LATE").exists()
    assert _actions(draft) == ["rule_set.draft", "rule_set.activate"]
    assert decide(ANTAKYA, "COP").rule_code != "COP-LATE"


def test_a_rule_deleted_while_its_set_goes_live_stays(coordinators, draft):
    rule = draft.rules.get(code="SU-KANAL-HATSU")

    with transaction.atomic():
        RuleSet.objects.select_for_update().get(pk=draft.pk)
        deleting = in_thread(
            lambda: _post(coordinators[0], f"/rules/3/rules/{rule.pk}/delete/")
        )
        wait_for_waiter()
        rule_set_activate(draft, actor=coordinators[1])
    response = deleting()

    assert response.status_code == 409
    assert _text(views.SET_WENT_LIVE, version=3) in html.unescape(response.text)
    assert Rule.objects.filter(pk=rule.pk).exists()
    assert _actions(draft) == ["rule_set.draft", "rule_set.activate"]


def test_a_delegation_saved_while_its_set_goes_live_is_refused(coordinators, draft):
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

    with transaction.atomic():
        RuleSet.objects.select_for_update().get(pk=draft.pk)
        saving = in_thread(
            lambda: _post(coordinators[0], "/rules/3/delegations/new/", values)
        )
        wait_for_waiter()
        rule_set_activate(draft, actor=coordinators[1])
    response = saving()

    assert response.status_code == 409
    assert response.context["form"].non_field_errors() == [
        _text(views.SET_WENT_LIVE, version=3)
    ]
    assert 'value="2026/412"' in response.text
    assert not draft.delegations.exists()


def test_activation_racing_a_new_rule_never_changes_the_live_set(coordinators):
    for version in (3, 4, 5):
        draft = rule_set_draft()
        assert draft.version == version
        code = f"COP-LATE-{version}"

        path = f"/rules/{version}"
        # Each round's rule comes before the rules copied from the last.
        values = NEW_RULE | {"code": code, "priority": str(10 - version)}
        activated, saved = race(
            lambda path=path: _post(coordinators[0], f"{path}/activate/"),
            lambda path=path, values=values: _post(
                coordinators[1], f"{path}/rules/new/", values
            ),
        )

        assert activated.status_code == 302
        assert RuleSet.objects.get(is_active=True).version == version
        stored = Rule.objects.filter(rule_set=draft, code=code).exists()
        if saved.status_code == 302:
            # Saved first: the rule went live with the set, as activated.
            assert stored
            assert _actions(draft) == [
                "rule_set.draft",
                "rule.save",
                "rule_set.activate",
            ]
            decision = decide(ANTAKYA, "COP")
            assert (decision.rule_code, decision.rule_set_version) == (code, version)
        else:
            # Activated first: the live set is as it was activated.
            assert saved.status_code == 409
            assert _text(views.SET_WENT_LIVE, version=version) in html.unescape(
                saved.text
            )
            assert not stored
            assert _actions(draft) == ["rule_set.draft", "rule_set.activate"]


def test_two_drafts_activated_at_once_leave_one_live_and_the_other_replacing_it(
    coordinators,
):
    first, second = rule_set_draft(), rule_set_draft()
    responses = race(
        lambda: _post(coordinators[0], f"/rules/{first.version}/activate/"),
        lambda: _post(coordinators[1], f"/rules/{second.version}/activate/"),
    )

    assert [r.status_code for r in responses] == [302, 302]
    live = RuleSet.objects.get(is_active=True)
    assert live.version in (first.version, second.version)
    events = list(
        Event.objects.filter(action="rule_set.activate")
        .order_by("id")
        .values_list("before", "after")
    )
    # One after the other: the second replaced the first, not the pack's v2.
    assert [after["active_version"] for _, after in events][-1] == live.version
    assert [before["active_version"] for before, _ in events][-2:] == [
        2,
        events[-2][1]["active_version"],
    ]


# -- drafts and rules made at once ------------------------------------------


def test_three_drafts_made_at_once_get_one_version_each(coordinators):
    responses = race(*[lambda u=u: _post(u, "/rules/drafts/") for u in coordinators])

    locations = sorted(r["Location"] for r in responses)
    assert [r.status_code for r in responses] == [302, 302, 302]
    assert locations == ["/rules/3/", "/rules/4/", "/rules/5/"]
    copied = Rule.objects.filter(rule_set__version=2).count()
    for draft in RuleSet.objects.filter(version__gt=2):
        assert (draft.based_on.version, draft.rules.count()) == (2, copied)
        assert _actions(draft) == ["rule_set.draft"]


def test_three_rules_of_one_code_at_once_store_one_and_name_it_to_the_others(
    coordinators, draft
):
    values = NEW_RULE | {"code": "COP-X"}
    typed = [values | {"description": f"by {u.username}"} for u in coordinators]

    responses = race(
        *[
            lambda u=u, v=v: _post(u, "/rules/3/rules/new/", v)
            for u, v in zip(coordinators, typed, strict=True)
        ]
    )

    # The same refusal as a save that races nobody.
    alone = _post(coordinators[0], "/rules/3/rules/new/", values)
    reason = _text(views.NOT_SAVED, reason="kural COP-X iki kez tanımlanmış")
    assert sorted(r.status_code for r in responses) == [200, 200, 302]
    refused = [r for r in responses if r.status_code == 200]
    for response in [*refused, alone]:
        assert response.context["form"].non_field_errors() == [reason]
        assert 'name="code" value="COP-X"' in response.text
    stored = Rule.objects.get(rule_set=draft, code="COP-X")
    won = [r.status_code for r in responses].index(302)
    assert responses[won]["Location"] == "/rules/3/#rule-COP-X"
    assert stored.description == typed[won]["description"]
    assert _actions(draft) == ["rule_set.draft", "rule.save"]


# -- two coordinators editing one rule ----------------------------------------


def _edit_values(rule, **changes):
    """The rule form's POST data for ``rule`` as read now, with ``changes``."""
    return rule_values(rule, seen=rule.updated_at.isoformat(), **changes)


def test_two_edits_of_one_rule_at_once_save_one_and_refuse_the_other(
    coordinators, draft
):
    rule = draft.rules.get(code="SU-KANAL-HATSU")
    typed = [
        _edit_values(rule, description="A edited"),
        _edit_values(rule, description="B edited", priority=rule.priority + 1),
    ]
    path = f"/rules/3/rules/{rule.pk}/"

    responses = race(
        *[
            lambda u=u, v=v: _post(u, path, v)
            for u, v in zip(coordinators[:2], typed, strict=True)
        ]
    )

    assert sorted(r.status_code for r in responses) == [302, 409]
    won = [r.status_code for r in responses].index(302)
    lost = 1 - won
    rule.refresh_from_db()
    assert (rule.description, rule.priority) == (
        typed[won]["description"],
        int(typed[won]["priority"]),
    )
    message = _text(
        views.RULE_CHANGED,
        code="SU-KANAL-HATSU",
        who=coordinators[won].username,
        when=datetime_text(rule.updated_at),
    )
    assert responses[lost].context["form"].non_field_errors() == [message]
    assert f'value="{typed[lost]["description"]}"' in responses[lost].text
    assert _actions(draft) == ["rule_set.draft", "rule.save"]


def test_an_edit_waiting_while_its_rule_is_deleted_is_kept_for_a_new_rule(
    coordinators, draft
):
    rule = draft.rules.get(code="SU-KANAL-HATSU")
    values = _edit_values(rule, description="edited while deleted")

    with transaction.atomic():
        RuleSet.objects.select_for_update().get(pk=draft.pk)
        saving = in_thread(
            lambda: _post(coordinators[0], f"/rules/3/rules/{rule.pk}/", values)
        )
        wait_for_waiter()
        rule_delete(rule, actor=coordinators[1])
    response = saving()

    deleted = Event.objects.get(action="rule.delete")
    message = _text(
        views.RULE_GONE,
        code="SU-KANAL-HATSU",
        who=coordinators[1].username,
        when=datetime_text(deleted.at),
    )
    assert response.status_code == 409
    assert response.context["form"].non_field_errors() == [message]
    assert 'value="edited while deleted"' in response.text
    assert 'action="/rules/3/rules/new/"' in response.text
    assert not Rule.objects.filter(rule_set=draft, code="SU-KANAL-HATSU").exists()
