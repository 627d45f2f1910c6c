"""Which of a pack's layers still need importing."""

from boundaries.errors import ImportRefused
from boundaries.models import Generation
from boundaries.services.layer_import import _checksum


def pack_layers_pending(pack):
    """Yield ``(layer spec, path, active generation or None)`` for each pack layer.

    The generation is given when the active one was imported from a file with
    the same checksum, i.e. there is nothing to do.
    """
    for spec in pack.meta["layers"]:
        path = pack.data_path(spec["source"])
        if not path.is_file():
            raise ImportRefused(
                f"layer {spec['code']}: data file {path} not found; set "
                "GEOPOOL_DATA_DIR to the folder holding the pack's data"
            )
        active = Generation.objects.filter(
            layer__code=spec["code"], is_active=True
        ).first()
        same = active is not None and active.source_checksum == _checksum(path)
        yield spec, path, active if same else None
