"""Impact preview: which open requests would change district, and owner.

For a boundary layer, every open request with a location is placed in the
active generation and in the new one (covering part, lowest code on a shared
edge, as routing does); the requests whose feature differs are listed with
the move. Where the layer is the jurisdiction's district layer and the
request's owner is the municipality of its old district (the district
decided), the new owner is the municipality of the new district; other
owners (an agency, a department) keep their requests. Routing through the
full rule set comes with rule simulation.
"""

from collections import Counter

from django.db import connection

from geopool.models import Body, ServiceRequest, Status

LISTED_MAX = 500

_PLACE = """
    SELECT DISTINCT ON (r.id) r.id, f.code, f.name
    FROM boundaries_lookup p
    JOIN geopool_servicerequest r ON ST_Covers(p.geometry, r.location)
    JOIN boundaries_feature f ON f.id = p.feature_id
    WHERE p.generation_id = %(gen)s AND r.location IS NOT NULL
      AND NOT (r.status = ANY(%(closed)s))
    ORDER BY r.id, f.code, f.name
"""


def _placed(generation_id):
    closed = [str(s) for s in Status.closed_values()]
    with connection.cursor() as cursor:
        cursor.execute(_PLACE, {"gen": generation_id, "closed": closed})
        return {rid: (code, name) for rid, code, name in cursor.fetchall()}


def impact_preview(generation, district_layer):
    """Return ``{"moves": [...], "matrix": [...], "total": n}`` for ``generation``."""
    active = generation.layer.generations.filter(is_active=True).first()
    if active is None or active.pk == generation.pk:
        return {"moves": [], "matrix": [], "total": 0}
    before = _placed(active.pk)
    after = _placed(generation.pk)
    changed = [
        rid
        for rid in set(before) | set(after)
        if before.get(rid, (None,))[0] != after.get(rid, (None,))[0]
    ]
    decides_owner = generation.layer.code == district_layer
    municipality = {
        b.district_code: b for b in Body.objects.filter(kind="district", is_active=True)
    }
    requests = ServiceRequest.objects.filter(pk__in=changed).select_related(
        "owner_body", "category"
    )
    moves = []
    for request in requests.order_by("-requested_at"):
        old = before.get(request.pk, ("", ""))
        new = after.get(request.pk, ("", ""))
        owner = request.owner_body
        new_owner = owner
        if decides_owner and owner is not None and owner.district_code == old[0]:
            new_owner = municipality.get(new[0], owner)
        moves.append(
            {
                "tracking_code": request.tracking_code,
                "category": request.category.code,
                "from": old[1] or "—",
                "to": new[1] or "—",
                "from_owner": owner.name if owner else "—",
                "to_owner": new_owner.name if new_owner else "—",
                "owner_changes": new_owner != owner,
            }
        )
    matrix = Counter((m["from"], m["to"]) for m in moves)
    owners = Counter(
        (m["from_owner"], m["to_owner"]) for m in moves if m["owner_changes"]
    )
    return {
        "total": len(moves),
        "owner_changes": sum(owners.values()),
        "matrix": [
            {"from": a, "to": b, "requests": n} for (a, b), n in sorted(matrix.items())
        ],
        "owner_matrix": [
            {"from": a, "to": b, "requests": n} for (a, b), n in sorted(owners.items())
        ],
        "moves": moves[:LISTED_MAX],
    }
