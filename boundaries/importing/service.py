"""``layer_import``: the one import entry point (command line and web upload).

A dry run (the default) does the whole import — read, reproject, repair,
store, check, preview the impact — inside a transaction that is rolled
back, so the planner sees exactly what a commit would store and nothing is
written. A commit keeps the new generation as a *draft* and keeps a copy of
the uploaded file under its checksum; activation is a separate, audited
step (``generation_activate``), which ``activate=True`` runs right after a
commit for scripted loads. Any failure leaves the active generation as it
was.

Where a person must choose (the layer inside a file, the CRS of a file with
no ``.prj``, the text encoding of a DBF, a missing field mapping) the import
refuses with an ``ImportRefused`` that names what is missing and the
command-line flag that supplies it.
"""

import hashlib
import logging
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max

from boundaries.errors import FieldMissing, ImportRefused
from boundaries.importing.checks import checks_run, has_errors
from boundaries.importing.crs import crs_label, crs_settle
from boundaries.importing.impact import impact_preview
from boundaries.importing.pipeline import features_copy, province_prepared
from boundaries.importing.sources import source_open
from boundaries.models import Generation, GeometryKind, Layer
from boundaries.services.generations import generation_activate
from geopool.models import Jurisdiction
from geopool.services.events import event_record

logger = logging.getLogger(__name__)

UPLOADS = "layer-sources"
LAYER_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class _DryRun(Exception):
    """Raised inside the import transaction to roll a dry run back."""


@dataclass
class ImportReport:
    layer: str
    source: str
    source_layer: str = ""
    checksum: str = ""
    source_crs: str = ""
    encoding: str = ""
    encoding_origin: str = ""
    fields: list = field(default_factory=list)
    mapping: dict = field(default_factory=dict)
    feature_count: int = 0
    repaired: list = field(default_factory=list)
    repaired_count: int = 0
    skipped: list = field(default_factory=list)
    skipped_count: int = 0
    warnings: list = field(default_factory=list)
    outside: list = field(default_factory=list)
    outside_count: int = 0
    # Whether two features may share a code; False when the stream proved
    # every code distinct, so the check need not query for repeats.
    codes_repeat: bool = True
    checks: list = field(default_factory=list)
    impact: dict = field(default_factory=dict)
    generation: Generation | None = None
    activated: bool = False

    @property
    def has_errors(self):
        return has_errors(self.checks)

    def summary(self):
        head = (
            f"layer {self.layer}: {self.feature_count} features from {self.source} "
            f"({self.source_crs}"
        )
        head += f", {self.encoding}" if self.encoding else ""
        head += (
            f"; {self.repaired_count} repaired, {self.skipped_count} skipped, "
            f"{sum(p['severity'] == 'error' for p in self.checks)} errors, "
            f"{sum(p['severity'] == 'warning' for p in self.checks)} warnings"
        )
        moves = self.impact.get("total")
        if moves is not None:
            head += f", {moves} open requests would change district"
        head += ")"
        if self.generation is None:
            return f"{head}; dry run, nothing written"
        state = "active" if self.activated else "stored as a draft, not active"
        return f"{head}; generation {self.generation.number} {state}"

    def as_stored(self):
        """The part of the report kept on the generation."""
        return {
            "fields": self.fields,
            "repaired": self.repaired,
            "repaired_count": self.repaired_count,
            "skipped": self.skipped,
            "skipped_count": self.skipped_count,
            "warnings": self.warnings,
            "checks": self.checks,
            "impact": self.impact,
            "encoding_origin": self.encoding_origin,
        }


def checksum_of(path):
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _jurisdiction_settings():
    jurisdiction = Jurisdiction.objects.order_by("id").first()
    return jurisdiction.settings if jurisdiction else {}


def _mapping(layer, name_field, code_field, attributes, source):
    # An explicit mapping replaces the saved one (the mapping of the layer's
    # last activated generation) as a whole.
    saved = {} if (name_field or layer is None) else layer.field_mapping
    mapping = {
        "name": name_field or saved.get("name", ""),
        "code": code_field or saved.get("code", ""),
        "attributes": dict(attributes or saved.get("attributes", {})),
    }
    if not mapping["name"]:
        raise FieldMissing(
            f"{source.path.name}: say which field holds the feature names "
            f"(--name-field FIELD); the file's fields: {', '.join(source.fields)}",
            available=source.fields,
        )
    unknown = (
        sorted(set(mapping["attributes"]) - set(layer.attribute_names))
        if (layer and layer.attribute_names)
        else []
    )
    if unknown:
        raise FieldMissing(
            f"layer {layer.code} has no attribute {', '.join(unknown)}; its "
            f"attributes: {', '.join(layer.attribute_names)}"
        )
    source.require_fields(
        {"name": mapping["name"], "code": mapping["code"]}
        | {f"attribute {k}": v for k, v in mapping["attributes"].items()}
    )
    return mapping


def _keep_file(path, checksum):
    target = Path(settings.MEDIA_ROOT) / UPLOADS / checksum[:2] / checksum / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        shutil.copyfile(path, target)
    return str(target.relative_to(settings.MEDIA_ROOT))


def layer_import(
    path,
    layer_code,
    *,
    name_field="",
    code_field="",
    attributes=None,
    source_layer="",
    srid=None,
    encoding="",
    geometry_kind="",
    title="",
    commit=False,
    activate=False,
    force=False,
    actor=None,
    progress=False,
    original_name="",
):
    """Import ``path`` into layer ``layer_code``; return an ImportReport."""
    path = Path(path)
    if not LAYER_CODE.match(layer_code or ""):
        raise ImportRefused(
            f"layer code {layer_code!r} is not valid: use 1-64 lower-case letters, "
            "digits, '-' or '_' (e.g. roads, parks, container_cities)"
        )
    layer = Layer.objects.filter(code=layer_code).first()
    kind = layer.geometry_kind if layer else geometry_kind
    if layer and geometry_kind and geometry_kind != layer.geometry_kind:
        raise ImportRefused(
            f"layer {layer_code} holds {layer.geometry_kind} features, not "
            f"{geometry_kind}"
        )
    if not kind:
        raise ImportRefused(
            f"there is no layer {layer_code!r}; define it in the jurisdiction pack, "
            f"or create it with --kind {'|'.join(GeometryKind.values)}"
        )
    jurisdiction = _jurisdiction_settings()
    district_layer = jurisdiction.get("district_layer", "")

    # The file's checksum is computed while it is opened and described
    # (hashlib lets go of the interpreter lock on large blocks).
    hashing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checksum")
    checksum = hashing.submit(checksum_of, path)
    hashing.shutdown(wait=False)
    source = source_open(path, source_layer=source_layer, encoding=encoding)
    report = ImportReport(
        layer=layer_code,
        source=original_name or path.name,
        source_layer=source.layer,
        fields=source.fields,
        encoding=source.encoding,
        encoding_origin=source.encoding_origin,
    )
    report.mapping = _mapping(layer, name_field, code_field, attributes, source)
    crs = crs_settle(
        source,
        srid,
        jurisdiction.get("crs_candidates", []),
        layer_code,
        district_layer,
    )
    report.source_crs = crs_label(crs)
    report.warnings += source.warnings
    report.checksum = checksum.result()
    same = Generation.objects.filter(
        layer__code=layer_code, source_checksum=report.checksum
    ).first()
    if same is not None:
        report.warnings.append(
            f"generation {same.number} ({same.get_state_display()}) was imported "
            "from the very same file (same SHA-256)"
        )

    try:
        province = province_prepared(
            Generation.objects.filter(layer__code=district_layer, is_active=True)
            .values_list("pk", flat=True)
            .first()
        )
        with transaction.atomic():
            # An import can be re-run; a crash losing only its own last
            # transaction is acceptable, waiting on each WAL flush is not.
            # Foreign keys are checked at the end of each batch's COPY,
            # while the client prepares the next batch, rather than all at
            # once at commit.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            generation = _store(
                report,
                source,
                crs,
                layer,
                layer_code,
                kind,
                title,
                actor,
                progress,
                province,
            )
            report.checks = [
                p.as_dict()
                for p in checks_run(
                    generation,
                    jurisdiction,
                    report.outside,
                    report.outside_count,
                    codes_repeat=report.codes_repeat,
                )
            ]
            if generation.layer.is_boundary:
                report.impact = impact_preview(generation, district_layer)
            if not commit:
                raise _DryRun
            generation.stored_file = _keep_file(path, report.checksum)
            generation.report = report.as_stored()
            generation.save(update_fields=["stored_file", "report"])
            event_record(
                "generation.import",
                generation,
                actor=actor,
                actor_label="" if actor else "import_layer",
                after={
                    "layer": layer_code,
                    "number": generation.number,
                    "features": report.feature_count,
                    "checksum": report.checksum,
                    "source_crs": report.source_crs,
                },
            )
            report.generation = generation
    except _DryRun:
        pass
    logger.info("%s", report.summary())

    if commit and activate:
        generation_activate(report.generation, actor=actor, force=force)
        report.activated = True
    return report


def _store(
    report, source, crs, layer, layer_code, kind, title, actor, progress, province
):
    if layer is None:
        layer = Layer.objects.create(
            code=layer_code, title=title or layer_code, geometry_kind=kind
        )
    # Lock the layer so two imports cannot take the same generation number.
    layer = Layer.objects.select_for_update().get(pk=layer.pk)
    number = (layer.generations.aggregate(n=Max("number"))["n"] or 0) + 1
    generation = Generation.objects.create(
        layer=layer,
        number=number,
        source_file=report.source,
        source_checksum=report.checksum,
        source_layer=report.source_layer,
        source_crs=report.source_crs,
        source_encoding=report.encoding,
        field_mapping=report.mapping,
        imported_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    report.feature_count = features_copy(
        source,
        crs,
        report.mapping,
        kind,
        generation.pk,
        report,
        progress=progress,
        province=province,
    )
    if report.feature_count == 0:
        raise ImportRefused(
            f"{report.source}: no usable features ({report.skipped_count} skipped"
            + "".join(
                f"; feature {item['feature']}: {item['reason']}"
                for item in report.skipped[:3]
            )
            + ")"
        )
    generation.feature_count = report.feature_count
    generation.save(update_fields=["feature_count"])
    return generation
