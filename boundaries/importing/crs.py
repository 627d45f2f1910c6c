"""The coordinate reference system of a source, and suggestions when it has none.

Missing ``.prj`` files are common, and a wrong guess is silent damage:
metres read as degrees, or a file shifted by a datum. So geopool never
guesses. A file without a CRS is refused with *suggestions*: the candidate
projections of the jurisdiction (a pack setting) in which the file's
coordinate ranges fall where the jurisdiction lies. Example for Hatay: a
file whose x runs from 480 to 560 km and y from 3,960 to 4,100 km fits TM36
(TUREF, EPSG:5256, or ED50, EPSG:2322), not UTM 36N (x ≈ 750–830 km).

Ranges cannot tell the datum: ED50 and TUREF coordinates of one place differ
by ~180 m here. Where the target layer has an active generation, each
suggestion is therefore also scored by how far the file's features would
fall from its outlines (median metres, in the metric CRS), which usually
tells the datum at once.
"""

import logging
from dataclasses import dataclass

import numpy as np
from django.db import connection

import pyogrio
import shapely
from pyproj import CRS, Transformer

from boundaries.errors import CrsUnknown, ImportRefused
from geopool.spatial import METRIC_SRID, STORAGE_SRID

logger = logging.getLogger(__name__)

# A file's range must fall inside the jurisdiction's extent grown by this
# share on each side to count as fitting a candidate.
EXTENT_MARGIN = 0.5
SCORE_SAMPLE = 200
SRID_EXAMPLES = "4326 (WGS 84), 5256 (TUREF / TM36) or 32636 (UTM 36N)"


@dataclass
class Suggestion:
    epsg: int
    name: str
    median_offset_m: float | None = None

    def describe(self):
        text = f"EPSG:{self.epsg} ({self.name})"
        if self.median_offset_m is not None:
            text += (
                f": the file's outlines fall a median {self.median_offset_m:,.0f} m "
                "from the active generation's outlines"
            )
        return text


def _coord(value):
    """A coordinate of a file's extent: metres to the metre, degrees to 1e-4.

    Degrees printed as whole numbers (x 36 to 36) hide the extent.
    """
    if abs(value) <= 360:
        return f"{value:.4f}"
    return f"{value:,.0f}"


def crs_label(crs):
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def jurisdiction_extent(layer_code):
    """WGS 84 extent (west, south, east, north) of a layer's active generation."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (
                SELECT ST_Extent(f.geometry) AS e FROM boundaries_feature f
                JOIN boundaries_generation g ON g.id = f.generation_id AND g.is_active
                JOIN boundaries_layer l ON l.id = g.layer_id AND l.code = %s
            ) x
            """,
            [layer_code],
        )
        row = cursor.fetchone()
    return row if row and row[0] is not None else None


def _fits(bounds, expected):
    west, south, east, north = expected
    grow_x = (east - west) * EXTENT_MARGIN
    grow_y = (north - south) * EXTENT_MARGIN
    x0, y0, x1, y1 = bounds
    return (
        west - grow_x <= x0
        and x1 <= east + grow_x
        and south - grow_y <= y0
        and y1 <= north + grow_y
    )


def suggestions_for(bounds, candidates, extent):
    """Candidates (EPSG codes) in which ``bounds`` lies where ``extent`` does."""
    found = []
    for epsg in candidates:
        crs = CRS.from_epsg(epsg)
        to_crs = Transformer.from_crs(STORAGE_SRID, crs, always_xy=True)
        expected = to_crs.transform_bounds(*extent)
        if _fits(bounds, expected):
            found.append(Suggestion(epsg, crs.name))
    return found


def _sample_points(source):
    """Up to SCORE_SAMPLE points on the outlines of the file's first features."""
    frame = pyogrio.read_dataframe(
        source.gdal_path,
        layer=source.layer or None,
        columns=[],
        max_features=SCORE_SAMPLE,
        encoding=source.encoding or None,
    )
    geometries = frame.geometry.values
    geometries = geometries[~shapely.is_missing(geometries)]
    outlines = shapely.boundary(geometries)
    outlines = np.where(shapely.is_empty(outlines), geometries, outlines)
    coords = shapely.get_coordinates(outlines)
    if len(coords) > SCORE_SAMPLE:
        coords = coords[:: len(coords) // SCORE_SAMPLE]
    return coords


def _outlines(layer_code):
    """STRtree of the active generation's outlines, in the metric CRS."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ST_AsBinary(CASE WHEN GeometryType(f.geometry) LIKE '%%POLYGON'
                                    THEN ST_Boundary(f.geometry)
                                    ELSE f.geometry END)
            FROM boundaries_feature f
            JOIN boundaries_generation g ON g.id = f.generation_id AND g.is_active
            JOIN boundaries_layer l ON l.id = g.layer_id AND l.code = %s
            """,
            [layer_code],
        )
        wkb = [bytes(row[0]) for row in cursor.fetchall()]
    if not wkb:
        return None
    to_metric = Transformer.from_crs(STORAGE_SRID, METRIC_SRID, always_xy=True)
    outlines = shapely.transform(
        shapely.from_wkb(wkb),
        lambda xy: np.column_stack(to_metric.transform(xy[:, 0], xy[:, 1])),
    )
    return shapely.STRtree(outlines)


def _score(coords, suggestion, tree):
    """Median metres from the file's outline points, read in ``suggestion``,
    to the nearest outline of the layer's active generation."""
    to_metric = Transformer.from_crs(suggestion.epsg, METRIC_SRID, always_xy=True)
    x, y = to_metric.transform(coords[:, 0], coords[:, 1])
    _, distances = tree.query_nearest(shapely.points(x, y), return_distance=True)
    return float(np.median(distances)) if len(distances) else None


def _not_degrees(crs, bounds):
    if bounds is None or not crs.is_geographic:
        return False
    x0, y0, x1, y1 = bounds
    return not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90)


def crs_settle(source, srid, candidates, layer_code, extent_layer):
    """Return the source CRS to read with; refuse with suggestions if unknown.

    ``srid`` (the planner's choice) wins over the file; a conflict is kept
    as a warning. Degrees that are not degrees (a GeoJSON, which is WGS 84 by
    definition, holding metres) are refused like a missing CRS.
    """
    chosen = None
    if srid is not None and srid != "":
        try:
            if int(srid) < 1:
                raise ValueError(srid)
            chosen = CRS.from_epsg(int(srid))
        except Exception as exc:  # pyproj raises CRSError; int() ValueError
            raise ImportRefused(
                f"--srid {srid}: not a known EPSG code; give the EPSG code (a "
                f"whole number, 1 or more) of the file's CRS, e.g. {SRID_EXAMPLES}"
            ) from exc
        declared = source.crs_unknown or (
            crs_label(source.crs) if source.crs is not None else ""
        )
        if declared and (source.crs_unknown or source.crs != chosen):
            source.warnings.append(
                f"the file declares {declared}; read as EPSG:{chosen.to_epsg()} as "
                "asked"
            )
    elif source.crs_unknown:
        raise CrsUnknown(
            f"{source.path.name} declares the CRS {source.crs_unknown}, which is "
            "not a known one, and geopool never guesses one; pass --srid "
            f"EPSG_CODE with the CRS its coordinates are in, e.g. {SRID_EXAMPLES}",
            suggestions=[],
            page_text=(
                f"{source.path.name} declares the CRS {source.crs_unknown}, which "
                "is not a known one, and geopool never guesses one."
            ),
        )
    crs = chosen or source.crs
    bounds = source.bounds
    if crs is not None and not _not_degrees(crs, bounds):
        return crs

    if crs is None:
        problem = (
            f"{source.path.name} declares no coordinate reference system (.prj "
            "missing?) and geopool never guesses one"
        )
    else:
        problem = (
            f"{source.path.name} is read as {crs_label(crs)} (degrees) but its "
            "coordinates are not degrees"
        )
    extent = jurisdiction_extent(extent_layer)
    suggestions = []
    if bounds is not None and extent is not None:
        suggestions = suggestions_for(bounds, candidates, extent)
        tree = _outlines(layer_code) if suggestions else None
        coords = _sample_points(source) if tree is not None else None
        for suggestion in suggestions:
            if coords is not None and len(coords):
                suggestion.median_offset_m = _score(coords, suggestion, tree)
        suggestions.sort(
            key=lambda s: (s.median_offset_m is None, s.median_offset_m or 0.0)
        )
    ranges = "unknown ranges"
    if bounds:
        x0, y0, x1, y1 = bounds
        ranges = f"x {_coord(x0)} to {_coord(x1)}, y {_coord(y0)} to {_coord(y1)}"
    if suggestions:
        listed = "; ".join(s.describe() for s in suggestions)
        hint = (
            f"its coordinates ({ranges}) fit {listed}. Ranges cannot tell the datum "
            "(ED50 and TUREF/WGS 84 differ by ~180 m here): check where the "
            "features fall before activating"
        )
    else:
        hint = (
            f"its coordinates ({ranges}) fit none of the jurisdiction's usual "
            "projections"
        )
    raise CrsUnknown(
        f"{problem}; {hint}. Pass --srid EPSG_CODE.",
        suggestions=[s.epsg for s in suggestions],
        # The web page asks with a form instead of naming the option.
        page_text=f"{problem}; {hint}.",
    )
