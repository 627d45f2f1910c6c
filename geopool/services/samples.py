"""Sample requests for the demo, at real places named by the pack.

Samples are ordinary requests, routed by ``decide`` like any other, marked
``is_sample`` so they can be told apart and filtered out of statistics.
Loading is idempotent: each sample has a stable key (source file and row) in
``external_id``, and a key already present is skipped, so running the loader
twice creates nothing new (decisions are append-only and never deleted).
"""

import csv
import json
import logging
from datetime import timedelta

from django.db import connection
from django.utils import timezone
from tqdm import tqdm

from geopool.models import Category, ServiceRequest
from geopool.services.intake import Intake, request_create
from routing_rules.errors import OutsideServiceArea

logger = logging.getLogger(__name__)


def _rows(pack, spec):
    path = pack.data_path(spec["source"])
    if spec["format"] == "layer":
        yield from _layer_points(spec["source"])
        return
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
        key = f"sample:{spec['source']}:{number}:{category.code}"
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
            description=f"Örnek talep: {name}".strip(),
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
