"""Small source files written by the tests, in round coordinates.

Two squares around (36.0°E, 36.0°N), named with Turkish letters:

    Kırıkhan  code 1131.0 (a float, as DBF files store it)  [36.00, 36.01]²
    Bowtie    code 2080   a self-intersecting ring over [36.02, 36.03]
"""

import zipfile
from pathlib import Path

import geopandas as gpd
from shapely.geometry import Polygon

SQUARE = Polygon([(36.00, 36.00), (36.01, 36.00), (36.01, 36.01), (36.00, 36.01)])
BOWTIE = Polygon([(36.02, 36.00), (36.03, 36.01), (36.03, 36.00), (36.02, 36.01)])


def frame(names=("Kırıkhan", "Bowtie"), geometries=(SQUARE, BOWTIE), crs="EPSG:4326"):
    data = gpd.GeoDataFrame(
        {"ILCE_ADI": list(names), "ILCE_KODU": [1131.0, 2080.0][: len(names)]},
        geometry=list(geometries),
        crs="EPSG:4326",
    )
    return data.to_crs(crs) if crs else data.set_crs(None, allow_override=True)


def zip_folder(folder, target, inside=""):
    """Zip every file of ``folder`` into ``target``, under ``inside/`` if given."""
    with zipfile.ZipFile(target, "w") as archive:
        for part in sorted(Path(folder).iterdir()):
            archive.write(part, f"{inside}/{part.name}" if inside else part.name)
    return target


def shapefile_zip(
    tmp_path, data, name="ilceler", encoding="UTF-8", inside="", cpg=None
):
    """Write ``data`` as a zipped shapefile; ``cpg`` overrides (False: no .cpg)."""
    folder = tmp_path / f"shp-{name}"
    folder.mkdir()
    data.to_file(folder / f"{name}.shp", encoding=encoding)
    if cpg is False:
        (folder / f"{name}.cpg").unlink()
    elif cpg is not None:
        (folder / f"{name}.cpg").write_text(cpg, encoding="ascii")
    return zip_folder(folder, tmp_path / f"{name}.zip", inside)


def write(tmp_path, kind, data=None, name="ilceler"):
    data = frame() if data is None else data
    if kind == "geojson":
        path = tmp_path / f"{name}.geojson"
        data.to_file(path, driver="GeoJSON")
    elif kind == "gpkg":
        path = tmp_path / f"{name}.gpkg"
        data.to_file(path, driver="GPKG", layer=name)
    elif kind == "kml":
        path = tmp_path / f"{name}.kml"
        data.to_crs(4326).to_file(path, driver="KML")
    elif kind == "zip-in-folder":
        path = shapefile_zip(tmp_path, data, name, inside="veri/ilceler")
    else:
        path = shapefile_zip(tmp_path, data, name)
    return path
