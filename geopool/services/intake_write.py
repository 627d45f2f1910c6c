"""A new request's rows written by one SQL statement.

A request arrives with its contact data, its decision (and the decision's
shape, shared with other decisions of the same content) and two or three
events. Written by the ORM that is six statements inside BEGIN … COMMIT, and
under load the transaction stays open while the worker waits for the CPU
between them (``idle in transaction``). Here the rows are one statement of
data-modifying CTEs: in autocommit it is its own transaction, one round trip
long, and either every row is stored or none is.

The columns and values are the ones Django's insert compiler would write
(defaults, ``auto_now_add``, geometry and JSON adapters), so the rows are
exactly what ``save()`` would store. The request's id is drawn from its
sequence inside the statement, and the other rows refer to it.
"""

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models.sql import InsertQuery

from geopool import prepared
from routing_rules.models import (
    DECISION_SHAPE_PARTS,
    SHAPE_CTES,
    SHAPE_ID,
    DecisionShape,
)

REQUEST_ID = "(SELECT id FROM new_id)"

_COLUMNS = {}


def _fields(model, skip):
    """(table, quoted column list, [(field, placeholder method)]) of
    ``model``'s INSERT, cached."""
    key = (model, skip)
    if key not in _COLUMNS:
        quote = connection.ops.quote_name
        fields = [
            f
            for f in model._meta.local_concrete_fields
            if not f.primary_key and f.attname not in skip
        ]
        columns = ", ".join(quote(f.column) for f in fields)
        placed = [(f, getattr(f, "get_placeholder", None)) for f in fields]
        _COLUMNS[key] = (quote(model._meta.db_table), columns, placed)
    return _COLUMNS[key]


def _insert_parts(obj, skip=()):
    """(table, columns, placeholders, params) of ``obj``'s INSERT.

    The values and placeholders are the ones Django's insert compiler makes
    in ``save()``: each field's ``pre_save`` runs (``auto_now_add`` sets the
    object's attribute too), then ``get_db_prep_save`` prepares the value
    for the database (JSON, geometry adapters), and a field with a
    placeholder of its own (geometry) gives it. An intake writes plain
    values only; an expression among them goes through the compiler itself
    (``_compiled_parts``). The compiler's own steps around these cost more
    than the values: a request and its rows are some 60 fields.
    ``skip``: the attnames the caller writes.
    """
    table, columns, placed = _fields(type(obj), tuple(skip))
    db = connections[DEFAULT_DB_ALIAS]
    placeholders, params = [], []
    for f, get_placeholder in placed:
        value = f.pre_save(obj, True)
        if hasattr(value, "resolve_expression"):
            return _compiled_parts(obj, table, columns, placed)
        value = f.get_db_prep_save(value, connection=db)
        placeholders.append(
            "%s" if get_placeholder is None else get_placeholder(value, None, db)
        )
        params.append(value)
    return table, columns, ", ".join(placeholders), params


def _compiled_parts(obj, table, columns, placed):
    """``_insert_parts`` by Django's insert compiler (values that are
    expressions)."""
    fields = [f for f, _ in placed]
    query = InsertQuery(type(obj))
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(connection=connection)
    placeholders, params = [], []
    for f, get_placeholder in placed:
        value = compiler.prepare_value(f, compiler.pre_save_val(f, obj))
        sql, values = compiler.field_as_sql(f, get_placeholder, value)
        placeholders.append(sql)
        params.extend(values)
    return table, columns, ", ".join(placeholders), params


def _shape_values(decision):
    pending = decision.__dict__.get("_shape_values") or {}
    return {
        part: pending[part] if part in pending else getattr(decision, part)
        for part in DECISION_SHAPE_PARTS
    }


def write_request(request, *, contact=None, decision, events):
    """INSERT ``request`` and the rows that refer to it; set their ids.

    ``contact``: an unsaved ``Contact`` or None; ``decision``: the unsaved
    ``Decision`` (its shape is found or stored in the same statement);
    ``events``: unsaved ``Event`` rows about the request (their
    ``object_id`` is the new id). Raises ``IntegrityError`` as the ORM
    would (a taken tracking code, a reused external id); then nothing is
    stored.
    """
    ctes = [
        "new_id AS MATERIALIZED (SELECT nextval(pg_get_serial_sequence("
        f"'{request._meta.db_table}', 'id')) AS id)"
    ]
    params = []

    def insert(name, table, columns, rows, returning=""):
        ctes.append(
            f"{name} AS (INSERT INTO {table} ({columns}) VALUES "
            + ", ".join(f"({row})" for row in rows)
            + f"{returning})"
        )

    table, columns, placeholders, values = _insert_parts(request)
    insert("r", table, f'"id", {columns}', [f"{REQUEST_ID}, {placeholders}"])
    params += values

    if contact is not None:
        table, columns, placeholders, values = _insert_parts(
            contact, skip=("request_id",)
        )
        insert(
            "c", table, f'"request_id", {columns}', [f"{REQUEST_ID}, {placeholders}"]
        )
        params += values

    ctes.append(SHAPE_CTES)
    params += DecisionShape.sql_params(**_shape_values(decision))
    table, columns, placeholders, values = _insert_parts(
        decision, skip=("request_id", "shape_id")
    )
    insert(
        "d",
        table,
        f'"request_id", "shape_id", {columns}',
        [f"{REQUEST_ID}, {SHAPE_ID}, {placeholders}"],
        returning=" RETURNING id, shape_id",
    )
    params += values

    rows = []
    table = columns = None
    for event in events:
        table, columns, placeholders, values = _insert_parts(event, skip=("object_id",))
        rows.append(f"{REQUEST_ID}::text, {placeholders}")
        params += values
    if rows:
        insert("e", table, f'"object_id", {columns}', rows)

    sql = (
        "WITH "
        + ", ".join(ctes)
        + " SELECT (SELECT id FROM new_id), id, shape_id FROM d"
    )
    [(request_id, decision_id, shape_id)] = prepared.execute(sql, params)
    for obj, pk in ((request, request_id), (decision, decision_id)):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    decision.request = request
    decision.__dict__.pop("_shape_values", None)
    decision.shape_id = shape_id
    if contact is not None:
        contact.request = request
        contact._state.adding = False
    for event in events:
        event.object_id = str(request_id)
    return request_id
