"""Intake's fast path, re-routing's single code path, and who may act.

- intake writes a request with its INSERTs only (no savepoints, no UPDATE
  after the INSERT) and still stores its decision, events and SLA clock;
- an SLA target edited by an administrator counts from the next request on
  (the cached pool state follows the routing state's version);
- re-routing from anywhere (the triage queue calls the service directly)
  locks the row, refuses while a transfer waits and resets a moved request;
- the workflow and the contact reveal check the pages' Django permissions.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from geopool.models import (
    Body,
    Category,
    Crew,
    Event,
    ServiceRequest,
    Status,
)
from geopool.models.workflow import SlaTarget
from geopool.services.intake import Intake, request_create
from geopool.services.personal_data import may_reveal
from geopool.services.rerouting import REROUTE_PENDING, request_change
from geopool.services.workflow import (
    WorkflowError,
    request_assign,
    status_change,
    transfer_propose,
)
from routing_rules.models import Decision

ANTAKYA = (36.1603, 36.2021)
DEFNE = (36.15, 36.13)


def _intake(**fields):
    return Intake(
        category=Category.objects.get(code=fields.pop("category", "COP")),
        channel="phone",
        lon=ANTAKYA[0],
        lat=ANTAKYA[1],
        location_source="given",
        description="Konteyner taştı",
        contact={"first_name": "Ayşe", "phone": "05321234517"},
        **fields,
    )


def test_a_decision_shape_stored_by_another_post_meanwhile_is_written_again(
    hatay, monkeypatch
):
    """The write finds no shape when another post stored the same new shape
    at the same moment (its row is not in this statement's snapshot): the
    NOT NULL refusal is answered by writing again, which finds it."""
    from django.db import IntegrityError

    from geopool.services import intake as intake_module

    real = intake_module.write_request
    calls = []

    def racing(request, **rows):
        calls.append(request.tracking_code)
        if len(calls) == 1:
            cause = Exception('null value in column "shape_id"')
            cause.diag = type("Diag", (), {"column_name": "shape_id"})()
            raise IntegrityError(str(cause)) from cause
        return real(request, **rows)

    monkeypatch.setattr(intake_module, "write_request", racing)
    request = request_create(_intake()).request

    assert len(calls) == 2
    stored = ServiceRequest.objects.get(pk=request.pk)
    assert stored.tracking_code == calls[1]
    assert Decision.objects.get(request=stored, is_current=True).shape_id is not None


def test_intake_writes_only_inserts_and_keeps_every_record(hatay):
    request_create(_intake())  # the pool state is read once, then cached
    intake = _intake()
    with CaptureQueriesContext(connection) as queries:
        request = request_create(intake).request
    verbs = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    # The routing state's version, then one prepared statement writes every
    # row (the decision's shape found or stored in it). The savepoint is
    # there because the test runs inside a transaction; a server's post has
    # none.
    assert verbs == ["SELECT", "SAVEPOINT", "WITH", "RELEASE"]
    write = queries.captured_queries[2]["sql"].split(" -- ")[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement = %s", [write]
        )
        assert cursor.fetchone() == (1,)
    inserts = re.findall(r'INSERT INTO "?(\w+)"?', write)
    assert inserts == [
        "geopool_servicerequest",
        "geopool_contact",
        "routing_rules_decisionshape",
        "routing_rules_decision",
        "geopool_event",
    ]
    stored = ServiceRequest.objects.get(pk=request.pk)
    assert stored.owner_body.code == "ANTAKYA"
    assert stored.sla_minutes is not None and stored.sla_due_at is not None
    assert stored.legal_due_at is not None
    decision = Decision.objects.get(request=stored, is_current=True)
    assert decision.owner_body.code == "ANTAKYA"
    actions = list(
        Event.objects.filter(
            object_type="geopool.servicerequest", object_id=str(stored.pk)
        )
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["request.route", "request.create"]


def test_edited_sla_target_counts_from_the_next_request(hatay):
    first = request_create(_intake()).request
    target = SlaTarget.objects.get(category=first.category, priority="normal")
    assert first.sla_minutes == target.working_minutes
    SlaTarget.objects.filter(pk=target.pk).update(working_minutes=4 * 60)
    second = request_create(_intake()).request
    assert second.sla_minutes == 240


@pytest.fixture
def staff(make_staff):
    return {
        "antakya": make_staff("body_staff", body="ANTAKYA"),
        "coordinator": make_staff("coordinator", body="HBB"),
        "planner": make_staff("planner", body="ANTAKYA"),
        "crew": make_staff("field_crew", body="ANTAKYA"),
    }


def test_change_moves_the_request_and_resets_it_for_the_new_owner(hatay, staff):
    request = request_create(_intake()).request
    crew = Crew.objects.create(body=Body.objects.get(code="ANTAKYA"), name="Ekip 1")
    request_assign(request, actor=staff["coordinator"], crew=crew)
    status_change(request, Status.IN_PROGRESS, actor=staff["coordinator"])
    decision = request_change(request, location=DEFNE, actor=staff["coordinator"])
    assert decision.owner_body.code == "DEFNE"
    stored = ServiceRequest.objects.get(pk=request.pk)
    assert (stored.owner_body.code, stored.status) == ("DEFNE", Status.NEW)
    assert stored.assigned_crew is None
    assert stored.sla_running_since is not None
    # The caller's instance shows what was stored.
    assert (request.owner_body_id, request.status) == (stored.owner_body_id, "new")
    assert Event.objects.filter(
        object_type="geopool.servicerequest",
        object_id=str(request.pk),
        action="request.status",
        after__status="new",
    ).exists()


def test_change_is_refused_while_a_transfer_waits(hatay, staff):
    request = request_create(_intake()).request
    transfer_propose(request, "DEFNE", "not_our_duty", actor=staff["antakya"])
    with pytest.raises(WorkflowError, match=re.escape(str(REROUTE_PENDING))):
        request_change(request, location=DEFNE, actor=staff["coordinator"])
    assert ServiceRequest.objects.get(pk=request.pk).owner_body.code == "ANTAKYA"


def test_workflow_needs_the_permission_the_page_checks(hatay, staff):
    request = request_create(_intake()).request
    # A planner has a profile at the owning body but no right to work.
    with pytest.raises(WorkflowError, match="work_request"):
        status_change(request, Status.ACCEPTED, actor=staff["planner"])
    # A field crew works requests but does not assign or transfer.
    with pytest.raises(WorkflowError, match="transfer_request"):
        transfer_propose(request, "DEFNE", "not_our_duty", actor=staff["crew"])
    status_change(request, Status.ACCEPTED, actor=staff["crew"])
    assert ServiceRequest.objects.get(pk=request.pk).status == Status.ACCEPTED


def test_contact_reveal_needs_view_contact(hatay, staff):
    request = request_create(_intake()).request
    assert may_reveal(staff["antakya"], request)
    assert may_reveal(staff["coordinator"], request)
    # Field crews of the owning body have no view_contact permission.
    assert not may_reveal(staff["crew"], request)
    assert not may_reveal(staff["planner"], request)


def test_insert_values_are_the_ones_django_s_insert_compiler_makes(hatay):
    """``_insert_parts`` gives the placeholders and values ``save()`` would
    (geometry adapter, JSON, enums, defaults); an expression among the
    values goes through the compiler itself."""
    from django.contrib.gis.geos import Point
    from django.db.models.functions import Now
    from django.db.models.sql import InsertQuery

    from geopool.services.intake_write import _insert_parts

    category = Category.objects.get(code="COP")
    request = ServiceRequest(
        category=category,
        channel="api",
        description="Çöp konteyneri dolu",
        location=Point(*ANTAKYA, srid=4326),
        tracking_code="K7M-4TXR",
    )
    table, columns, placeholders, values = _insert_parts(request)
    fields = [
        f for f in ServiceRequest._meta.local_concrete_fields if not f.primary_key
    ]
    query = InsertQuery(ServiceRequest)
    query.insert_values(fields, [request])
    compiler = query.get_compiler(connection=connection)
    expected, expected_values = [], []
    for f in fields:
        value = compiler.prepare_value(f, compiler.pre_save_val(f, request))
        sql, params = compiler.field_as_sql(
            f, getattr(f, "get_placeholder", None), value
        )
        expected.append(sql)
        expected_values.extend(params)

    def plain(value):
        return bytes(value.ewkb) if hasattr(value, "ewkb") else value

    assert table == '"geopool_servicerequest"'
    assert placeholders == ", ".join(expected)
    auto_now = {
        i for i, f in enumerate(fields) if getattr(f, "auto_now", False)
    }  # set again by each pre_save
    assert [plain(v) for i, v in enumerate(values) if i not in auto_now] == [
        plain(v) for i, v in enumerate(expected_values) if i not in auto_now
    ]

    requested_at = ServiceRequest._meta.get_field("requested_at")
    request.requested_at = Now()
    _, _, placeholders, values = _insert_parts(request)
    assert placeholders.split(", ")[fields.index(requested_at)] == (
        "STATEMENT_TIMESTAMP()"
    )
