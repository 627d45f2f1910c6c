"""What an uploaded file is, as far as the planner's choices settle it.

``upload_describe`` opens the file with the import service's own
``source_open`` and settles its CRS with ``crs_settle``, exactly as the
import will, so a question the import would refuse with (which layer, which
CRS, which encoding) is asked before the field mapping, not after it.
"""

from dataclasses import dataclass

from pyproj import CRS

from boundaries.importing.crs import crs_label, crs_settle
from boundaries.importing.sources import source_open
from geopool.models import Jurisdiction


@dataclass(frozen=True)
class Description:
    source: object  # boundaries.importing.sources.Source
    crs: str  # e.g. "EPSG:4326"
    warnings: list


def jurisdiction_settings():
    jurisdiction = Jurisdiction.objects.order_by("id").first()
    return jurisdiction.settings if jurisdiction else {}


def upload_describe(path, options):
    """Return the Description of ``path``; raise ImportRefused if a choice is due."""
    source = source_open(
        path,
        source_layer=options.get("source_layer", ""),
        encoding=options.get("encoding", ""),
    )
    settings = jurisdiction_settings()
    crs = crs_settle(
        source,
        options.get("srid"),
        settings.get("crs_candidates", []),
        options["layer"],
        settings.get("district_layer", ""),
    )
    return Description(source, crs_label(crs), list(source.warnings))


def epsg_name(code):
    """Return the name of EPSG ``code``, e.g. ``TUREF / TM36``, or ``""``."""
    try:
        return CRS.from_epsg(int(code)).name
    except Exception:  # pyproj's CRSError, or a code that is no integer
        return ""
