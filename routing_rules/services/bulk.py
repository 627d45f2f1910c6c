"""Routing many stored requests at once and storing their decisions by COPY.

``route_stored(request_ids, ...)`` is the bulk path behind history imports,
re-routing after a layer or rule change and the bulk benchmark. Requests are
read in batches, routed by ``routing_rules.engine.route`` (the same code as
a single decision) and their decisions written with one COPY per batch;
the previous current decision of each request is retired first, so the
append-only history stays intact.

``keep_owner=True`` (history imports) stores today's decision beside the
request without touching its recorded owner, status or inbox; such a
decision carries the flag ``owner_kept`` and never makes its body an owner
of the request (``geopool.visibility``). Otherwise the requests' owner
fields follow the new decisions.

Example: after importing 1,000,000 historic rows, ``route_stored(ids,
keep_owner=True, progress=True)`` stores one current decision for each, so
a simulation can compare recorded owners with today's rules.
"""

import gc
import logging
from dataclasses import dataclass, field

import numpy as np
import orjson
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from routing_rules.context import live_context
from routing_rules.models import SHAPE_DIGEST_SQL

logger = logging.getLogger(__name__)

BATCH = 50_000

# The ids of a batch are sorted: the range lets the server scan the index
# from the first to the last and test the list as a hash, instead of one
# index probe per id. Parameters: first id, last id, the ids as an array.
_READ = """
    SELECT r.id, c.code, ST_X(r.location), ST_Y(r.location)
    FROM geopool_servicerequest r JOIN geopool_category c ON c.id = r.category_id
    WHERE r.id BETWEEN %s AND %s AND r.id = ANY(%s::bigint[])
    ORDER BY r.id
"""

_RETIRE = """
    UPDATE routing_rules_decision SET is_current = false
    WHERE request_id BETWEEN %s AND %s AND request_id = ANY(%s::bigint[])
      AND is_current
"""


def _id_array(ids):
    """Sorted ids as the parameters of ``_READ``/``_RETIRE`` (array as text)."""
    return [ids[0], ids[-1], "{" + ",".join(map(str, ids)) + "}"]


# The flag of a decision stored beside a request whose owner it did not set.
OWNER_KEPT = "owner_kept"

_COLUMNS = (
    "request_id, decided_at, owner_body_id, owner_department_id, rule_id, "
    "rule_code, rule_set_version, candidates, flags, shape_id, is_current"
)

# Shapes new to this call: COPYed beside the table, stored where their
# digest is new, and read back with their ids (``n``: their position).
_SHAPES_TEMP = (
    "CREATE TEMP TABLE IF NOT EXISTS _bulk_shape (n integer, generations jsonb, "
    "trace jsonb, explanation_tr text, explanation_en text) ON COMMIT DROP"
)
_SHAPE_DIGEST = SHAPE_DIGEST_SQL.format(
    g="b.generations", t="b.trace", tr="b.explanation_tr", en="b.explanation_en"
)
_SHAPES_STORE = f"""
    INSERT INTO routing_rules_decisionshape
        (digest, generations, trace, explanation_tr, explanation_en)
    SELECT {_SHAPE_DIGEST}, b.generations, b.trace, b.explanation_tr,
           b.explanation_en
    FROM _bulk_shape b
    ON CONFLICT (digest) DO NOTHING
"""
_SHAPES_READ = f"""
    SELECT b.n, s.id FROM _bulk_shape b
    JOIN routing_rules_decisionshape s ON s.digest = {_SHAPE_DIGEST}
"""

_OWNERS = """
    UPDATE geopool_servicerequest r
    SET owner_body_id = o.owner_body_id, owner_department_id = o.owner_department_id,
        needs_triage = o.needs_triage, is_urgent = o.is_urgent, updated_at = now()
    FROM _bulk_owner o WHERE r.id = o.id
"""


_NULL = "\\N"


def _text(value):
    """A value in COPY's text format (backslash, tab and newlines escaped).

    ``str.replace`` behind an ``in`` test: ``str.translate`` with a dict maps
    non-ASCII text (every Turkish explanation) character by character.
    """
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value:
        value = value.replace("\t", "\\t")
    if "\n" in value:
        value = value.replace("\n", "\\n")
    if "\r" in value:
        value = value.replace("\r", "\\r")
    return value


def _shapes_store(new_shapes):
    """Store the shapes ``{key: n}`` that are new; returns {key: shape id}."""
    keys = list(new_shapes)
    with connection.cursor() as cursor:
        cursor.execute(_SHAPES_TEMP)
        cursor.execute("TRUNCATE _bulk_shape")
        with cursor.copy("COPY _bulk_shape FROM STDIN") as copy:
            for start in range(0, len(keys), 5000):
                copy.write(
                    "".join(
                        f"{new_shapes[key]}\t{_text(key[0])}\t{_text(key[1])}\t"
                        f"{_text(key[2])}\t{_text(key[3])}\n"
                        for key in keys[start : start + 5000]
                    )
                )
        cursor.execute(_SHAPES_STORE)
        cursor.execute(_SHAPES_READ)
        found = dict(cursor.fetchall())
    return {key: found[n] for key, n in new_shapes.items()}


@dataclass
class BulkResult:
    routed: int = 0
    triage: int = 0
    # request id -> message, for points outside the service area
    refused: dict = field(default_factory=dict)
    # owner body code -> count
    owners: dict = field(default_factory=dict)


def route_stored(
    request_ids,
    context=None,
    at=None,
    keep_owner=False,
    progress=False,
    batch=BATCH,
    fresh=False,
):
    """Route the stored requests ``request_ids`` and store their decisions.

    ``fresh=True`` says the requests were just written and have no decision
    yet (a history import), so none is retired first. Runs in the caller's
    transaction (or one of its own). Returns BulkResult.
    """
    context = context or live_context()
    at = at or timezone.now()
    ids = np.asarray(sorted(request_ids), dtype=np.int64)
    result = BulkResult()
    bar = tqdm(
        total=len(ids), desc="route", unit="req", disable=not progress, mininterval=0.5
    )
    # Hundreds of thousands of small objects per batch: the cyclic garbage
    # collector would rescan them again and again (none of them form cycles).
    collecting = gc.isenabled()
    gc.disable()
    shapes = {}  # (generations, trace, tr, en) as text -> shape id
    try:
        with transaction.atomic():
            for start in range(0, len(ids), batch):
                chunk = ids[start : start + batch].tolist()
                _route_chunk(context, chunk, at, keep_owner, result, fresh, shapes)
                bar.update(len(chunk))
    finally:
        if collecting:
            gc.enable()
    bar.close()
    logger.info(
        "routed %d requests in bulk (%d to triage, %d outside the service area)",
        result.routed,
        result.triage,
        len(result.refused),
    )
    return result


def _route_chunk(context, chunk, at, keep_owner, result, fresh, shapes):
    from routing_rules.engine import route

    with connection.cursor() as cursor:
        cursor.execute(_READ, _id_array(chunk))
        rows = cursor.fetchall()
    lons = np.array([np.nan if r[2] is None else r[2] for r in rows], dtype=float)
    lats = np.array([np.nan if r[3] is None else r[3] for r in rows], dtype=float)
    decided = route(context, lons, lats, [r[1] for r in rows], at)
    bodies, departments = context.bodies, context.departments
    version = (
        "\\N" if context.rule_set_version is None else str(context.rule_set_version)
    )
    decided_at = at.isoformat()
    # Generations are shared per category, and the candidates of points that
    # only name their district per district: dump each object once. The
    # owner and rule columns are few distinct texts: build each once.
    json_of, candidates_of, owner_rule_of = {}, {}, {}
    heads, shape_keys, ids, owners = [], [], [], []
    new_shapes = {}
    triage = 0
    counts = result.owners
    for row, routed in zip(rows, decided, strict=True):
        if routed.error:
            result.refused[row[0]] = routed.error
            continue
        owner_key = (
            routed.owner_body,
            routed.owner_department,
            routed.rule_id,
            routed.rule_code,
        )
        owner_rule = owner_rule_of.get(owner_key)
        if owner_rule is None:
            department = departments.get(routed.owner_department)
            owner_rule = owner_rule_of[owner_key] = (
                bodies[routed.owner_body].id,
                department.id if department else None,
                "\t".join(
                    (
                        decided_at,
                        str(bodies[routed.owner_body].id),
                        str(department.id) if department else _NULL,
                        _NULL if routed.rule_id is None else str(routed.rule_id),
                        _text(routed.rule_code),
                        version,
                    )
                ),
            )
        generations = json_of.get(id(routed.generations))
        if generations is None:
            generations = json_of[id(routed.generations)] = orjson.dumps(
                routed.generations
            ).decode()
        candidates = candidates_of.get(id(routed.candidates))
        if candidates is None:
            candidates = candidates_of[id(routed.candidates)] = _text(
                orjson.dumps(routed.candidates).decode()
            )
        flags = routed.flags
        key = (
            generations,
            orjson.dumps(routed.trace).decode(),
            routed.explanation_tr,
            routed.explanation_en,
        )
        if key not in shapes and key not in new_shapes:
            new_shapes[key] = len(new_shapes)
        needs_triage = "triage" in flags
        if keep_owner:
            flags = [*flags, OWNER_KEPT]
        else:
            owners.append(
                (row[0], owner_rule[0], owner_rule[1], needs_triage, "urgent" in flags)
            )
        heads.append(f"{row[0]}\t{owner_rule[2]}\t{candidates}\t{{{','.join(flags)}}}")
        shape_keys.append(key)
        ids.append(row[0])
        triage += needs_triage
        counts[routed.owner_body] = counts.get(routed.owner_body, 0) + 1
    result.routed += len(ids)
    result.triage += triage
    if new_shapes:
        shapes.update(_shapes_store(new_shapes))
    lines = [
        f"{head}\t{shapes[key]}\tt" for head, key in zip(heads, shape_keys, strict=True)
    ]
    with connection.cursor() as cursor:
        if not fresh and ids:
            cursor.execute(_RETIRE, _id_array(ids))
        copy_sql = f"COPY routing_rules_decision ({_COLUMNS}) FROM STDIN"
        with cursor.copy(copy_sql) as copy:
            for start in range(0, len(lines), 5000):
                copy.write("\n".join(lines[start : start + 5000]) + "\n")
        if not keep_owner and owners:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS _bulk_owner (id bigint PRIMARY KEY, "
                "owner_body_id bigint, owner_department_id bigint, needs_triage "
                "boolean, is_urgent boolean) ON COMMIT DROP"
            )
            cursor.execute("TRUNCATE _bulk_owner")
            with cursor.copy("COPY _bulk_owner FROM STDIN") as copy:
                for values in owners:
                    copy.write_row(values)
            cursor.execute(_OWNERS)
