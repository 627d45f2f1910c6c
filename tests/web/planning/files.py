"""Small layer files the planning tests upload, written with geopandas.

Every square lies in Yayladağı, at least 900 m from its edge, in round
coordinates (degrees, WGS 84):

    WEST     "Şenköy"     code 9001   [36.00, 36.01] × [36.00, 36.01]
    EAST     "Güzelyurt"  code 9002   [36.01, 36.02] × [36.00, 36.01]
    BOWTIE   "Çağlayan"   code 9003   a self-intersecting ring in
                                      [36.02, 36.03] × [36.00, 36.01],
                                      repaired into two triangles
    AT_SEA   "Açık deniz" code 9004   [35.70, 35.71] × [36.00, 36.01], in the
                                      Mediterranean: outside the province

WEST and EAST share the edge lon 36.01: no gap, no overlap.
"""

import zipfile

import geopandas as gpd
from shapely.geometry import Polygon, box

WEST = ("Şenköy", "9001", box(36.00, 36.00, 36.01, 36.01))
EAST = ("Güzelyurt", "9002", box(36.01, 36.00, 36.02, 36.01))
BOWTIE = (
    "Çağlayan",
    "9003",
    Polygon([(36.02, 36.00), (36.03, 36.01), (36.03, 36.00), (36.02, 36.01)]),
)
AT_SEA = ("Açık deniz", "9004", box(35.70, 36.00, 35.71, 36.01))
# Inside WEST, in Yayladağı today.
IN_WEST = {"lon": 36.005, "lat": 36.005}
# The districts layer's attributes (pack.yaml), as a corrected district file
# would carry them.
DISTRICT_FIELDS = {
    "name_ascii": "Yayladagi",
    "osm_relation_id": 1,
    "postal_code": "31550",
}
# The file's own field names: the mapping form must offer exactly these.
FIELDS = ["AD", "KOD", "ILCE"]


def frame(*features, crs="EPSG:4326", extra=None):
    """A GeoDataFrame of ``features`` (name, code, geometry) in ``crs``.

    ``extra`` adds columns holding one value each, e.g. ``{"postal_code":
    "31900"}``.
    """
    features = features or (WEST, EAST)
    result = gpd.GeoDataFrame(
        {
            "AD": [f[0] for f in features],
            "KOD": [f[1] for f in features],
            "ILCE": ["Yayladağı"] * len(features),
        }
        | {column: [value] * len(features) for column, value in (extra or {}).items()},
        geometry=[f[2] for f in features],
        crs="EPSG:4326",
    )
    return result.to_crs(crs)


def geojson_file(folder, *features, name="mahalleler.geojson", extra=None):
    path = folder / name
    frame(*features, extra=extra).to_file(path, driver="GeoJSON")
    return path


def geopackage_two_layers(folder):
    """A GeoPackage with the layers ``mahalleler`` and ``eski_mahalleler``."""
    path = folder / "katmanlar.gpkg"
    frame(WEST, EAST).to_file(path, driver="GPKG", layer="mahalleler")
    frame(WEST).to_file(path, driver="GPKG", layer="eski_mahalleler", mode="a")
    return path


def shapefile_zip(folder, *features, crs="EPSG:4326", parts_left_out=(), **kwargs):
    """A zipped shapefile; ``parts_left_out`` e.g. ``(".prj",)``."""
    shp = folder / "shp"
    shp.mkdir()
    frame(*features, crs=crs).to_file(shp / "mahalleler.shp", **kwargs)
    path = folder / "mahalleler.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in sorted(shp.iterdir()):
            if part.suffix.lower() not in parts_left_out:
                archive.write(part, part.name)
    return path
