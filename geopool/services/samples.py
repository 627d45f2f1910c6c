"""Sample requests for the demo, at real places named by the pack.

Samples are ordinary requests, routed by ``decide`` like any other, marked
``is_sample`` so they can be told apart and filtered out of statistics.
Loading is idempotent: each sample has a stable key (source file and row) in
``external_id``, and a key already present is skipped, so running the loader
twice creates nothing new (decisions are append-only and never deleted).

Sources (``samples.points`` in ``pack.yaml``) are CSV or GeoJSON points, one
point inside each feature of a loaded ``layer``, or ``near_features``: points
at set ground distances from each feature of a GeoJSON file, so that every
distance rule (e.g. "within 25 m of a highway", "inside a park + 5 m")
visibly fires on one side of its threshold and visibly does not on the
other. Those points are computed here from the file itself (``json``), not
from imported layers, so they do not depend on the layer import:

- a line: the middle of the line (``line_interpolate_point``, normalised
  0.5), moved onto the geodesic of its segment, then ``Geod.fwd`` on WGS 84
  perpendicular to that segment, to the left, else to the right;
- a polygon: the middle of the longest edge of the exterior ring, then
  perpendicular to that edge, outward for a positive distance and inward for
  a negative one (metres from the edge; an edge middle rather than a vertex,
  because a point inside a corner is nearer the other edge than wanted);
- a point: due north.

Every generated point is measured again, geodesically (in an azimuthal
equidistant projection centred on the point, where distances from the centre
are geodesic distances), and kept only if it lies within ``TOLERANCE_M`` of
the wanted distance and no other feature of the same file is as close as the
wanted distance; otherwise it is skipped with a log line.
"""

import csv
import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.utils import timezone
from tqdm import tqdm

import shapely
from pyproj import Geod, Transformer
from shapely.geometry import Point, shape

from geopool.models import Category, ServiceRequest
from geopool.services.intake import Intake, request_create
from routing_rules.errors import OutsideServiceArea

logger = logging.getLogger(__name__)

NEAR_FEATURES = "near_features"
# A generated point is kept when its measured distance is this close to the
# wanted one (metres on the ground).
TOLERANCE_M = 0.5
GEOD = Geod(ellps="WGS84")
# Key of the ready-made description in the properties a source row yields.
DESCRIPTION_KEY = "_sample_description"


@dataclass(frozen=True)
class NearPoint:
    """A point at a wanted distance from a feature.

    ``distance_m`` is the wanted distance, negative inside a polygon (metres
    from its edge); ``measured_m`` is the geodesic distance measured again,
    signed the same way.
    """

    distance_m: float
    lon: float
    lat: float
    measured_m: float


def _geometry(geometry):
    return shape(geometry) if isinstance(geometry, dict) else geometry


def _largest_part(geom):
    """The longest line or the largest polygon of a multi-part geometry."""
    if not hasattr(geom, "geoms"):
        return geom
    parts = list(geom.geoms)
    if geom.geom_type == "MultiPolygon":
        return max(parts, key=lambda p: p.area)
    if geom.geom_type == "MultiLineString":
        return max(parts, key=lambda p: p.length)
    return parts[0]


def _distances_from(lon, lat, geometries):
    """Geodesic distances (m) from lon/lat to each geometry, negative inside.

    The geometries are projected to an azimuthal equidistant projection
    centred on the point: there, the distance from the origin to any point is
    its geodesic distance from lon/lat, and segments near the origin are
    straight to well under a millimetre at the distances used here.
    """
    local = Transformer.from_crs(
        "EPSG:4326",
        f"+proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=WGS84 +units=m",
        always_xy=True,
    )
    origin = Point(0.0, 0.0)
    out = []
    for geom in geometries:
        projected = shapely.transform(
            geom, lambda x, y: local.transform(x, y), interleaved=False
        )
        if projected.geom_type in {"Polygon", "MultiPolygon"} and projected.contains(
            origin
        ):
            out.append(-projected.boundary.distance(origin))
        else:
            out.append(projected.distance(origin))
    return out


def signed_distance_m(lon, lat, geometry):
    """Geodesic distance (m) from lon/lat to a GeoJSON or shapely geometry.

    Negative when the point is inside a polygon: minus its distance to the
    polygon's boundary.
    """
    return _distances_from(lon, lat, [_geometry(geometry)])[0]


def _on_segment(a, b, fraction):
    """The point at ``fraction`` of the geodesic a→b, and the azimuth there."""
    azimuth, back, length = GEOD.inv(a[0], a[1], b[0], b[1])
    if length == 0:
        return a[0], a[1], azimuth
    lon, lat, forward = GEOD.fwd(a[0], a[1], azimuth, fraction * length)
    # fwd returns the back azimuth at the end point; the forward one is +180.
    return lon, lat, (forward + 180.0) % 360.0


def _line_foot(line):
    """Middle of a line (lon, lat) and the azimuth of its segment there."""
    middle = line.line_interpolate_point(0.5, normalized=True)
    along = line.line_locate_point(middle)
    coords = list(line.coords)
    walked = 0.0
    for a, b in zip(coords, coords[1:], strict=False):
        step = Point(a).distance(Point(b))
        if step > 0 and walked + step >= along:
            return _on_segment(a, b, (along - walked) / step)
        walked += step
    return _on_segment(coords[-2], coords[-1], 1.0)


def _edge_foot(polygon):
    """Middle of the longest exterior edge (lon, lat) and that edge's azimuth."""
    coords = list(polygon.exterior.coords)
    edges = list(zip(coords, coords[1:], strict=False))
    a, b = max(edges, key=lambda e: GEOD.inv(e[0][0], e[0][1], e[1][0], e[1][1])[2])
    return _on_segment(a, b, 0.5)


def _candidates(geom, distance):
    """Points (lon, lat) that should lie ``distance`` metres from ``geom``."""
    part = _largest_part(geom)
    kind = part.geom_type
    if kind == "Point":
        if distance < 0:
            return []
        lon, lat, _ = GEOD.fwd(part.x, part.y, 0.0, distance)
        return [(lon, lat)]
    if kind == "LineString":
        lon, lat, azimuth = _line_foot(part)
        sides = (azimuth - 90.0, azimuth + 90.0)  # left, then right
        return [GEOD.fwd(lon, lat, side, abs(distance))[:2] for side in sides]
    if kind == "Polygon":
        lon, lat, azimuth = _edge_foot(part)
        out = []
        for side in (azimuth - 90.0, azimuth + 90.0):
            x, y, _ = GEOD.fwd(lon, lat, side, abs(distance))
            if (distance < 0) == part.contains(Point(x, y)):
                out.append((x, y))
        return out
    return []


def points_near_feature(geometry, distances_m, others=(), label="feature"):
    """Points at exact ground distances from a feature; a list of NearPoint.

    ``geometry`` is a GeoJSON geometry (dict, WGS 84 lon/lat) or a shapely
    geometry; ``distances_m`` are metres, negative for inside a polygon.
    ``others`` are the other features of the same file: a point as close to
    one of them as the wanted distance would test the wrong feature, so it is
    skipped (logged, like a point that measures off by more than
    ``TOLERANCE_M``). Pure: needs no database.
    """
    geom = _geometry(geometry)
    others = [_geometry(g) for g in others]
    points = []
    for distance in distances_m:
        distance = float(distance)
        found = None
        problems = []
        for lon, lat in _candidates(geom, distance):
            measured, *to_others = _distances_from(lon, lat, [geom, *others])
            if abs(measured - distance) > TOLERANCE_M:
                problems.append(f"measures {measured:.2f} m")
                continue
            nearest = min((abs(d) for d in to_others), default=None)
            if nearest is not None and nearest < abs(distance) + TOLERANCE_M:
                problems.append(f"another feature is {nearest:.1f} m away")
                continue
            found = NearPoint(distance, lon, lat, measured)
            break
        if found is None:
            logger.warning(
                "no sample point %g m from %s (%s)",
                distance,
                label,
                "; ".join(problems) or f"not possible for a {geom.geom_type}",
            )
            continue
        points.append(found)
    return points


def _describe(name, geom, distance):
    """What a near-feature sample tests, in Turkish (the demo's language)."""
    metres = f"{abs(distance):g} m"
    if geom.geom_type in {"Polygon", "MultiPolygon"}:
        side = "içinde" if distance < 0 else "dışında"
        return f"Örnek: {name}, sınırın {metres} {side}"
    return f"Örnek: {name}, {metres} uzakta"


def _near_feature_rows(pack, spec):
    """Rows for a ``near_features`` source: one per feature and distance."""
    path = pack.data_path(spec["source"])
    data = json.loads(path.read_text(encoding="utf-8"))
    features = [f for f in data["features"] if f.get("geometry")]
    geometries = [shape(f["geometry"]) for f in features]
    name_field = spec.get("description_field", "name")
    code_field = spec.get("code_field", "code")
    for number, (feature, geom) in enumerate(
        zip(features, geometries, strict=True), start=1
    ):
        props = feature.get("properties") or {}
        code = props.get(code_field) or str(number)
        name = props.get(name_field) or code
        others = geometries[: number - 1] + geometries[number:]
        label = f"{spec['source']} {code}"
        for point in points_near_feature(geom, spec["distances_m"], others, label):
            yield (
                f"{code}:{point.distance_m:g}m",
                point.lon,
                point.lat,
                {DESCRIPTION_KEY: _describe(name, geom, point.distance_m)},
            )


def _rows(pack, spec):
    if spec["format"] == "layer":
        yield from _layer_points(spec["source"])
        return
    if spec["format"] == NEAR_FEATURES:
        yield from _near_feature_rows(pack, spec)
        return
    path = pack.data_path(spec["source"])
    if spec["format"] == "csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                wanted = spec.get("filter", {})
                if any(row.get(k, "").strip() != v for k, v in wanted.items()):
                    continue
                yield (
                    number,
                    float(row[spec["x_field"]]),
                    float(row[spec["y_field"]]),
                    row,
                )
    else:
        data = json.loads(path.read_text(encoding="utf-8"))
        for number, feature in enumerate(data["features"], start=1):
            geometry = feature.get("geometry") or {}
            if geometry.get("type") != "Point":
                continue
            lon, lat = geometry["coordinates"][:2]
            yield number, float(lon), float(lat), feature.get("properties") or {}


def _layer_points(layer):
    """One point inside each active feature of ``layer``."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT f.id, ST_X(ST_PointOnSurface(f.geometry)),
                   ST_Y(ST_PointOnSurface(f.geometry)), f.name
            FROM boundaries_feature f
            JOIN boundaries_generation g ON g.id = f.generation_id AND g.is_active
            JOIN boundaries_layer l ON l.id = g.layer_id AND l.code = %s
            ORDER BY f.code
            """,
            [layer],
        )
        for feature_id, lon, lat, name in cursor.fetchall():
            yield feature_id, lon, lat, {"name": name}


def sample_key(spec, number, category_code):
    """The stable ``external_id`` of a sample.

    ``sample:<source>:<n>:<category>``, where ``n`` is the row or feature
    number; for ``near_features`` it is ``<feature code>:<distance>m``, e.g.
    ``sample:pack:demo/roads.geojson:KGM-D817-2:20m:YOL-BAKIM``.
    """
    return f"sample:{spec['source']}:{number}:{category_code}"


def samples_load(pack, progress=True):
    """Create the pack's sample requests; return ``(created, skipped, refused)``."""
    config = pack.meta.get("samples")
    if not config:
        return 0, 0, 0
    categories = [Category.objects.get(code=c) for c in config["categories"]]
    channels = config.get("channels") or ["phone"]
    existing = set(
        ServiceRequest.objects.filter(is_sample=True).values_list(
            "external_id", flat=True
        )
    )
    by_code = {c.code: c for c in categories}
    work = []
    for spec in config["points"]:
        own = [
            by_code.get(c) or Category.objects.get(code=c)
            for c in spec.get("categories", [])
        ]
        for row in _rows(pack, spec):
            if own:
                work += [(spec, row, category) for category in own]
            else:
                work.append((spec, row, categories[len(work) % len(categories)]))
    now = timezone.now()
    created = skipped = refused = 0
    for index, (spec, (number, lon, lat, props), category) in enumerate(
        tqdm(work, desc="sample requests", unit="req", disable=not progress)
    ):
        key = sample_key(spec, number, category.code)
        if key in existing:
            skipped += 1
            continue
        name = props.get(spec.get("description_field", ""), "") or ""
        intake = Intake(
            category=category,
            channel=channels[index % len(channels)],
            lon=lon,
            lat=lat,
            location_source="given",
            description=props.get(DESCRIPTION_KEY) or f"Örnek talep: {name}".strip(),
            address_string=props.get(spec.get("address_field", ""), "") or "",
            external_id=key,
            is_sample=True,
            # Spread over the last 60 days, newest first, deterministically.
            requested_at=now - timedelta(hours=3 * index + 1),
        )
        try:
            request_create(intake)
            created += 1
        except OutsideServiceArea:
            refused += 1
            logger.warning(
                "sample %s at %s,%s is outside the service area", key, lon, lat
            )
    return created, skipped, refused
