"""Building the gazetteer from the pack: names first, then what places them.

``gazetteer_load(pack)`` replaces the gazetteer (it is derived data, never
edited by hand) in one transaction:

1. the neighbourhood list (district, name, code, population), each tied to
   the official code of its district feature in the district layer;
2. the streets of each neighbourhood;
3. locations, best source first: the neighbourhood's polygon (its
   ``ST_PointOnSurface``), the middle of its streets' lines, a known point
   (an OSM label node whose name is the neighbourhood's and which lies in its
   district), otherwise only the district (its seat point, or a point inside
   its polygon) — flagged as such, so it is never taken for an exact place;
4. door points onto their streets.
"""

import csv
import logging

from django.db import connection, transaction
from tqdm import tqdm

from geocoding.models import Door, LocationSource, Neighbourhood, Street
from geopool.errors import PackError
from geopool.text import fold, name_key

logger = logging.getLogger(__name__)

BATCH = 5000


def _rows(path, spec, required):
    if not path.is_file():
        raise PackError(
            f"gazetteer file {spec['source']} not found at {path}; set "
            "GEOPOOL_DATA_DIR to the folder holding the pack's data"
        )
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [
            spec[f]
            for f in required
            if spec.get(f) and spec[f] not in reader.fieldnames
        ]
        if missing:
            raise PackError(
                f"{path.name}: no column {', '.join(missing)}; the file has "
                f"{', '.join(reader.fieldnames or [])}"
            )
        yield from enumerate(reader, start=2)


def strip_suffixes(name, suffixes):
    """``Akhisar Mahallesi`` -> ``Akhisar`` (suffixes from the pack)."""
    key = name_key(name)
    for suffix in sorted((name_key(s) for s in suffixes), key=len, reverse=True):
        if suffix and key.endswith(" " + suffix):
            return key[: -len(suffix) - 1]
    return key


def _district_codes(district_layer):
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT f.name, f.code FROM boundaries_feature f
            JOIN boundaries_generation g ON g.id = f.generation_id AND g.is_active
            JOIN boundaries_layer l ON l.id = g.layer_id AND l.code = %s
            """,
            [district_layer],
        )
        return {fold(name): code for name, code in cursor.fetchall()}


def gazetteer_load(pack, progress=False):
    """Replace the gazetteer from ``pack``; return counts by location source."""
    spec = pack.meta.get("geocoding")
    if not spec:
        raise PackError("pack.yaml has no geocoding section; nothing to load")
    district_layer = pack.settings["district_layer"]
    codes = _district_codes(district_layer)
    if not codes:
        raise PackError(
            f"layer {district_layer} has no active generation; load the pack's "
            "layers first (manage.py load_pack_layers PACK --commit)"
        )
    with transaction.atomic():
        Neighbourhood.objects.all().delete()
        summary = {"neighbourhoods": _neighbourhoods_load(pack, spec, codes)}
        summary["streets"] = _streets_load(pack, spec, progress)
        summary["locations"] = _locations_derive(spec, district_layer)
        summary["doors"] = _doors_load(spec)
    logger.info("gazetteer loaded: %s", summary)
    return summary


def _neighbourhoods_load(pack, spec, codes):
    src = spec["neighbourhood_list"]
    path = pack.data_path(src["source"])
    objs, unknown = [], set()
    for line, row in _rows(path, src, ["district_field", "name_field", "code_field"]):
        district = row[src["district_field"]].strip()
        code = codes.get(fold(district))
        if code is None:
            unknown.add(district)
        population = (row.get(src.get("population_field", ""), "") or "").strip()
        objs.append(
            Neighbourhood(
                code=row[src["code_field"]].strip() or f"{path.name}:{line}",
                name=row[src["name_field"]].strip(),
                district_name=district,
                district_code=code or "",
                population=int(population) if population.isdigit() else None,
                key=name_key(row[src["name_field"]]),
            )
        )
    if unknown:
        raise PackError(
            f"{path.name}: districts {', '.join(sorted(unknown))} are not features "
            "of the district layer"
        )
    Neighbourhood.objects.bulk_create(objs, batch_size=BATCH)
    return len(objs)


def _streets_load(pack, spec, progress):
    src = spec.get("streets")
    if not src:
        return 0
    path = pack.data_path(src["source"])
    ids = dict(Neighbourhood.objects.values_list("code", "id"))
    batch, count, skipped = [], 0, 0
    rows = _rows(path, src, ["neighbourhood_code_field", "name_field", "code_field"])
    for _line, row in tqdm(rows, desc="streets", disable=not progress, unit=" rows"):
        nb = ids.get(row[src["neighbourhood_code_field"]].strip())
        name = row[src["name_field"]].strip()
        if nb is None or not name:
            skipped += 1
            continue
        batch.append(
            Street(
                neighbourhood_id=nb,
                code=(row.get(src.get("code_field", ""), "") or "").strip(),
                name=name,
                key=name_key(name),
            )
        )
        if len(batch) >= BATCH:
            Street.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    Street.objects.bulk_create(batch)
    count += len(batch)
    if skipped:
        logger.warning(
            "%s: %d streets skipped (unknown neighbourhood or no name)",
            path.name,
            skipped,
        )
    return count


_ACTIVE_FEATURES = """
    SELECT f.id, f.name, f.code, f.attributes, f.geometry
    FROM boundaries_feature f
    JOIN boundaries_generation g ON g.id = f.generation_id AND g.is_active
    JOIN boundaries_layer l ON l.id = g.layer_id AND l.code = %s
"""


def _locations_derive(spec, district_layer):
    suffixes = spec.get("name_suffixes", [])
    by_key = {}
    for nb in Neighbourhood.objects.only("id", "key", "district_code"):
        by_key.setdefault((nb.district_code, nb.key), nb.id)
    with connection.cursor() as cursor:
        # 1. Polygons, matched by name within the district they lie in; of
        # several polygon layers the first that has the neighbourhood wins.
        for layer in spec.get("neighbourhood_layers", []):
            cursor.execute(
                f"""
                SELECT f.id, f.name, d.code
                FROM ({_ACTIVE_FEATURES}) f
                JOIN ({_ACTIVE_FEATURES}) d
                  ON ST_Covers(d.geometry, ST_PointOnSurface(f.geometry))
                """,
                [layer, district_layer],
            )
            for feature_id, name, district_code in cursor.fetchall():
                nb = by_key.get((district_code, strip_suffixes(name, suffixes)))
                if nb is None:
                    logger.warning("polygon %s matches no neighbourhood", name)
                    continue
                cursor.execute(
                    """
                    UPDATE geocoding_neighbourhood n
                    SET location = ST_PointOnSurface(f.geometry),
                        location_source = %s, feature_id = f.id,
                        location_note = 'feature ' || f.id || ': ' || f.name
                    FROM boundaries_feature f
                    WHERE f.id = %s AND n.id = %s AND n.feature_id IS NULL
                    """,
                    [LocationSource.POLYGON, feature_id, nb],
                )
        # 2. Street lines onto the streets, by name within the neighbourhood.
        if spec.get("street_layer"):
            cursor.execute(
                f"""
                SELECT f.id, f.name, f.attributes->>'neighbourhood_code'
                FROM ({_ACTIVE_FEATURES}) f
                """,
                [spec["street_layer"]],
            )
            streets = {}
            for street in Street.objects.select_related("neighbourhood").only(
                "id", "key", "neighbourhood__code"
            ):
                streets[(street.neighbourhood.code, street.key)] = street.id
            matched = {}
            for feature_id, name, nb_code in cursor.fetchall():
                street = streets.get((nb_code or "", name_key(name)))
                if street is not None:
                    matched.setdefault(street, []).append(feature_id)
            for street, features in matched.items():
                cursor.execute(
                    """
                    UPDATE geocoding_street SET geometry = (
                        SELECT ST_Multi(ST_CollectionExtract(
                            ST_Collect(geometry), 2))
                        FROM boundaries_feature WHERE id = ANY(%s))
                    WHERE id = %s
                    """,
                    [features, street],
                )
            cursor.execute(
                """
                UPDATE geocoding_neighbourhood n
                SET location = s.point, location_source = %s,
                    location_note = s.count || ' street lines'
                FROM (
                    SELECT neighbourhood_id, count(*) AS count,
                           ST_ClosestPoint(ST_Collect(geometry),
                                           ST_Centroid(ST_Collect(geometry))) AS point
                    FROM geocoding_street WHERE geometry IS NOT NULL
                    GROUP BY neighbourhood_id
                ) s
                WHERE s.neighbourhood_id = n.id AND n.location IS NULL
                """,
                [LocationSource.STREETS],
            )
        # 3. Known points named as the neighbourhood, inside its district.
        district_keys = {k for k, _ in _named_features(cursor, district_layer)}
        if spec.get("place_point_layer"):
            cursor.execute(
                f"""
                SELECT f.id, f.name, d.code
                FROM ({_ACTIVE_FEATURES}) f
                JOIN ({_ACTIVE_FEATURES}) d ON ST_Covers(d.geometry, f.geometry)
                """,
                [spec["place_point_layer"], district_layer],
            )
            for feature_id, name, district_code in cursor.fetchall():
                key = strip_suffixes(name, suffixes)
                if key in district_keys:
                    continue  # a district seat, not a neighbourhood's point
                nb = by_key.get((district_code, key))
                if nb is None:
                    continue
                cursor.execute(
                    """
                    UPDATE geocoding_neighbourhood n
                    SET location = f.geometry, location_source = %s,
                        location_note = 'point ' || f.code || ': ' || f.name
                    FROM boundaries_feature f
                    WHERE f.id = %s AND n.id = %s AND n.location IS NULL
                    """,
                    [LocationSource.PLACE_POINT, feature_id, nb],
                )
        # 4. The rest: the district only.
        for code, point, note in _district_points(cursor, spec, district_layer):
            cursor.execute(
                """
                UPDATE geocoding_neighbourhood
                SET location = %s::geometry, location_source = %s,
                    location_note = %s
                WHERE district_code = %s AND location IS NULL
                """,
                [point, LocationSource.DISTRICT, note, code],
            )
        cursor.execute(
            "SELECT location_source, count(*) FROM geocoding_neighbourhood "
            "GROUP BY 1 ORDER BY 1"
        )
        return dict(cursor.fetchall())


def _named_features(cursor, layer):
    cursor.execute(f"SELECT f.name, f.code FROM ({_ACTIVE_FEATURES}) f", [layer])
    return [(name_key(name), code) for name, code in cursor.fetchall()]


def district_points(district_layer, place_point_layer=""):
    """``{district code: (lon, lat, note)}``: where a district-only result goes."""
    with connection.cursor() as cursor:
        spec = {"place_point_layer": place_point_layer}
        return {
            code: (point_lon, point_lat, note)
            for code, point_lon, point_lat, note in _district_points(
                cursor, spec, district_layer, as_lonlat=True
            )
        }


def _district_points(cursor, spec, district_layer, as_lonlat=False):
    """The district's seat point when the place layer has it, else inside it."""
    seats = {}
    if spec.get("place_point_layer"):
        cursor.execute(
            f"""
            SELECT d.code, f.geometry, f.name
            FROM ({_ACTIVE_FEATURES}) f
            JOIN ({_ACTIVE_FEATURES}) d ON ST_Covers(d.geometry, f.geometry)
            WHERE lower(f.name) = lower(d.name)
            """,
            [spec["place_point_layer"], district_layer],
        )
        for code, geometry, name in cursor.fetchall():
            seats.setdefault(code, (geometry, f"district seat point: {name}"))
    cursor.execute(
        f"SELECT f.code, ST_PointOnSurface(f.geometry), f.name "
        f"FROM ({_ACTIVE_FEATURES}) f",
        [district_layer],
    )
    for code, inside, name in cursor.fetchall():
        geometry, note = seats.get(code, (inside, f"point inside district {name}"))
        if as_lonlat:
            cursor.execute(
                "SELECT ST_X(%s::geometry), ST_Y(%s::geometry)", [geometry, geometry]
            )
            lon, lat = cursor.fetchone()
            yield code, lon, lat, note
        else:
            yield code, geometry, note


def _doors_load(spec):
    if not spec.get("door_layer"):
        return 0
    streets = dict(Street.objects.exclude(code="").values_list("code", "id"))
    doors = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT f.attributes->>'street_code', f.attributes->>'number',
                   f.name, f.geometry
            FROM ({_ACTIVE_FEATURES}) f
            """,
            [spec["door_layer"]],
        )
        for street_code, number, name, geometry in cursor.fetchall():
            street = streets.get(street_code or "")
            number = (number or name or "").strip()
            if street is None or not number:
                continue
            doors.append(Door(street_id=street, number=number, location=geometry))
    Door.objects.bulk_create(doors, batch_size=BATCH)
    return len(doors)
