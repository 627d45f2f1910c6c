"""The one import service for layers: command line and web upload both use it.

An import reads a GeoJSON, GeoPackage or zipped shapefile with pyogrio,
reprojects it to the storage SRID once, repairs what it can and reports what
it repaired or skipped. A dry run (the default) writes nothing; a commit
stores a new generation, and activating it makes it the one routing reads.
Any failure leaves the active generation untouched: the write is one
transaction.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

import pyogrio
import shapely
from pyproj import CRS

from boundaries.errors import ImportRefused
from boundaries.geometry import normalize_code, repair_polygonal
from boundaries.models import Feature, Generation, GeometryKind, Layer
from geopool.services.events import event_record
from geopool.spatial import STORAGE_SRID, SUBDIVIDE_MAX_VERTICES

logger = logging.getLogger(__name__)

SUPPORTED = (".geojson", ".json", ".gpkg", ".zip", ".shp")

_KIND_OF = {
    "Polygon": GeometryKind.POLYGON,
    "MultiPolygon": GeometryKind.POLYGON,
    "LineString": GeometryKind.LINE,
    "MultiLineString": GeometryKind.LINE,
    "Point": GeometryKind.POINT,
    "MultiPoint": GeometryKind.POINT,
}


@dataclass
class ImportReport:
    layer: str
    source: str
    checksum: str = ""
    source_crs: str = ""
    fields: list = field(default_factory=list)
    features: list = field(default_factory=list)
    repaired: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    generation: Generation | None = None
    activated: bool = False

    @property
    def feature_count(self):
        return len(self.features)

    def summary(self):
        head = f"layer {self.layer}: {self.feature_count} features from {self.source}"
        tail = f"{len(self.repaired)} repaired, {len(self.skipped)} skipped"
        if self.generation is None:
            return f"{head} ({tail}); dry run, nothing written"
        state = "active" if self.activated else "stored, not active"
        return f"{head} ({tail}); generation {self.generation.number} {state}"


def _checksum(path):
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _open_info(path):
    if path.suffix.lower() not in SUPPORTED:
        raise ImportRefused(
            f"{path.name}: unsupported file type {path.suffix or '(none)'}; expected "
            "GeoJSON (.geojson), GeoPackage (.gpkg) or a zipped shapefile (.zip)"
        )
    if not path.is_file():
        raise ImportRefused(f"{path}: no such file")
    try:
        layers = pyogrio.list_layers(path)
        if len(layers) > 1:
            names = ", ".join(str(name) for name, _ in layers)
            raise ImportRefused(
                f"{path.name} holds {len(layers)} layers ({names}); import one "
                "file per layer"
            )
        return pyogrio.read_info(path)
    except ImportRefused:
        raise
    except Exception as exc:  # pyogrio raises several GDAL-specific types
        raise ImportRefused(f"{path.name}: cannot be read as a layer: {exc}") from exc


def _check_fields(info, path, mapping):
    available = list(info["fields"])
    for role, name in mapping.items():
        if name and name not in available:
            raise ImportRefused(
                f"{path.name}: no field {name!r} for the {role}; available fields: "
                f"{', '.join(available)}"
            )


def _source_crs(info, path):
    if not info.get("crs"):
        raise ImportRefused(
            f"{path.name} declares no coordinate reference system (.prj missing?); "
            "geopool never guesses one"
        )
    crs = CRS.from_user_input(info["crs"])
    epsg = crs.to_epsg()
    return crs, f"EPSG:{epsg}" if epsg else crs.to_string()


def layer_import(
    path,
    layer,
    *,
    name_field,
    code_field="",
    attributes=None,
    geometry_kind=GeometryKind.POLYGON,
    title="",
    commit=False,
    activate=True,
    actor=None,
):
    """Import ``path`` into ``layer``; return an ImportReport.

    ``attributes`` maps stored attribute names to source field names.
    """
    path = Path(path)
    attributes = attributes or {}
    report = ImportReport(layer=layer, source=path.name)

    info = _open_info(path)
    report.fields = list(info["fields"])
    _check_fields(
        info,
        path,
        {"name": name_field, "code": code_field}
        | {f"attribute {k}": v for k, v in attributes.items()},
    )
    crs, report.source_crs = _source_crs(info, path)
    report.checksum = _checksum(path)

    columns = sorted({name_field, code_field, *attributes.values()} - {""})
    frame = pyogrio.read_dataframe(path, columns=columns)
    if frame.crs is None:
        frame = frame.set_crs(crs)
    frame = frame.to_crs(epsg=STORAGE_SRID)
    _collect_features(frame, report, name_field, code_field, attributes, geometry_kind)
    if not report.features:
        raise ImportRefused(f"{path.name}: no usable features")

    if commit:
        _write_generation(report, path, geometry_kind, title, activate, actor)
    logger.info("%s", report.summary())
    return report


def _collect_features(frame, report, name_field, code_field, attributes, kind):
    for index, row in enumerate(frame.itertuples(index=False), start=1):
        values = row._asdict()
        geometry = values.pop("geometry")
        label = str(values.get(name_field) or f"#{index}")
        if geometry is None or geometry.is_empty:
            report.skipped.append({"feature": index, "name": label, "reason": "empty"})
            continue
        geometry = shapely.force_2d(geometry)
        found = _KIND_OF.get(geometry.geom_type)
        if found != kind:
            raise ImportRefused(
                f"{report.source}: feature {index} ({label}) is a "
                f"{geometry.geom_type}, but layer {report.layer} holds {kind} "
                "features"
            )
        if kind == GeometryKind.POLYGON:
            geometry, reason = repair_polygonal(geometry)
            if geometry is None:
                report.skipped.append(
                    {"feature": index, "name": label, "reason": reason}
                )
                continue
            if reason:
                report.repaired.append(
                    {"feature": index, "name": label, "reason": reason}
                )
        report.features.append(
            {
                "name": label.strip(),
                "code": normalize_code(values.get(code_field)) if code_field else "",
                "attributes": {
                    key: _jsonable(values.get(source))
                    for key, source in attributes.items()
                },
                "wkb": shapely.to_wkb(geometry),
            }
        )


def _jsonable(value):
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return normalize_code(value) if value == value else None
    return str(value)


def _write_generation(report, path, kind, title, activate, actor):
    with transaction.atomic():
        layer, _ = Layer.objects.get_or_create(
            code=report.layer,
            defaults={"title": title or report.layer, "geometry_kind": kind},
        )
        if layer.geometry_kind != kind:
            raise ImportRefused(
                f"layer {layer.code} holds {layer.geometry_kind} features, not {kind}"
            )
        # Lock the layer so two imports cannot take the same number.
        Layer.objects.select_for_update().get(pk=layer.pk)
        number = (layer.generations.aggregate(n=Max("number"))["n"] or 0) + 1
        generation = Generation.objects.create(
            layer=layer,
            number=number,
            source_file=str(path),
            source_checksum=report.checksum,
            source_crs=report.source_crs,
            feature_count=report.feature_count,
            report={"repaired": report.repaired, "skipped": report.skipped},
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                f"""
                INSERT INTO {Feature._meta.db_table}
                    (generation_id, name, code, attributes, geometry)
                VALUES (%s, %s, %s, %s::jsonb, ST_GeomFromWKB(%s, {STORAGE_SRID}))
                """,
                [
                    (
                        generation.pk,
                        f["name"],
                        f["code"],
                        json.dumps(f["attributes"], ensure_ascii=False),
                        f["wkb"],
                    )
                    for f in report.features
                ],
            )
            cursor.execute(
                """
                INSERT INTO boundaries_featurepart (feature_id, generation_id, geometry)
                SELECT id, generation_id, ST_Subdivide(geometry, %s)
                FROM boundaries_feature WHERE generation_id = %s
                """,
                [SUBDIVIDE_MAX_VERTICES, generation.pk],
            )
        event_record(
            "generation.import",
            generation,
            actor=actor,
            actor_label="import_layer",
            after={
                "layer": layer.code,
                "number": number,
                "features": report.feature_count,
                "checksum": report.checksum,
                "source_crs": report.source_crs,
            },
        )
        report.generation = generation
        if activate:
            generation_activate(generation, actor=actor)
            report.activated = True


def generation_activate(generation, actor=None):
    """Make ``generation`` the active one of its layer (audited)."""
    with transaction.atomic():
        current = (
            Generation.objects.select_for_update()
            .filter(layer=generation.layer, is_active=True)
            .first()
        )
        if current == generation:
            return generation
        if current:
            current.is_active = False
            current.save(update_fields=["is_active"])
        generation.is_active = True
        generation.activated_at = timezone.now()
        generation.save(update_fields=["is_active", "activated_at"])
        event_record(
            "generation.activate",
            generation,
            actor=actor,
            actor_label="import_layer",
            before={"active": current.number if current else None},
            after={"active": generation.number},
        )
    return generation
