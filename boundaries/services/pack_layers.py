"""Importing the layers a jurisdiction pack ships data for."""

from boundaries.errors import ImportRefused
from boundaries.importing.service import checksum_of, layer_import
from boundaries.models import Generation


def pack_layers_load(pack, commit=False, progress=False):
    """Import each pack layer with a ``source``; yield ``(code, outcome)``.

    The outcome is the ImportReport, or the active Generation when that one
    was imported from a file with the same checksum (nothing to do).
    """
    for spec in pack.meta["layers"]:
        if not spec.get("source"):
            continue
        path = pack.data_path(spec["source"])
        if not path.is_file():
            raise ImportRefused(
                f"layer {spec['code']}: data file {spec['source']} not found at "
                f"{path}; set GEOPOOL_DATA_DIR to the folder holding the pack's data"
            )
        active = Generation.objects.filter(
            layer__code=spec["code"], is_active=True
        ).first()
        if active is not None and active.source_checksum == checksum_of(path):
            yield spec["code"], active
            continue
        yield (
            spec["code"],
            layer_import(
                path,
                spec["code"],
                name_field=spec.get("name_field", ""),
                code_field=spec.get("code_field", ""),
                attributes=spec.get("fields", {}),
                source_layer=spec.get("source_layer", ""),
                srid=spec.get("srid"),
                encoding=spec.get("encoding", ""),
                geometry_kind=spec["geometry_kind"],
                title=spec["title"],
                commit=commit,
                activate=commit,
                progress=progress,
            ),
        )
