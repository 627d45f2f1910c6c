"""The import stream over several batches: values, refusals, errors mid-way.

Batches are made two features long, so that a file of a handful of lines
goes through every step the large files take: several COPY blocks sent by
the writer thread, codes compared across batches, an error after some
blocks were already sent.
"""

import psycopg
import pytest

import geopandas as gpd
from shapely.geometry import LineString, Point, box

from boundaries.errors import ImportRefused
from boundaries.importing import pipeline
from boundaries.importing.service import layer_import
from boundaries.models import Feature, Generation, Layer

pytestmark = pytest.mark.django_db

NAMES = [
    "Kırıkhan Yolu",
    "ters\\bölü",
    'tırnak "D-817"',
    "sekme\tiçinde",
    "  kenarları boş  ",
    "İskenderun Sahil",
    "Şehit Er Sokağı",
]


@pytest.fixture(autouse=True)
def _small_batches(monkeypatch):
    monkeypatch.setattr(pipeline, "BATCH_SIZE", 2)


def _roads(tmp_path, names=NAMES, codes=None, name="yollar"):
    n = len(names)
    data = gpd.GeoDataFrame(
        {
            "AD": names,
            "KOD": codes if codes is not None else [f"Y-{i:02d}" for i in range(n)],
            "SINIF": ['bir "iki"\\üç', None, "yerel", "ana", "tali", "ana", "yerel"][
                :n
            ],
            "SERIT": list(range(1, n + 1)),
            "ESKI": [1131.0, 2.5, None, 7.0, 8.0, 9.0, 10.0][:n],
        },
        geometry=[
            LineString([(36.1 + i / 100, 36.2), (36.1 + i / 100, 36.21)])
            for i in range(n)
        ],
        crs="EPSG:4326",
    )
    path = tmp_path / f"{name}.gpkg"
    data.to_file(path, driver="GPKG", layer=name)
    return path


def _import(path, **kwargs):
    return layer_import(
        path,
        "test-yollar",
        geometry_kind="line",
        name_field="AD",
        code_field="KOD",
        attributes={"class": "SINIF", "lanes": "SERIT", "old": "ESKI"},
        **kwargs,
    )


def test_features_spread_over_batches_are_stored_exactly(hatay, tmp_path):
    report = _import(_roads(tmp_path), commit=True)

    assert report.feature_count == len(NAMES)
    stored = {f.code: f for f in Feature.objects.filter(generation=report.generation)}
    assert [stored[f"Y-{i:02d}"].name for i in range(len(NAMES))] == [
        name.strip() for name in NAMES
    ]
    assert stored["Y-00"].attributes == {
        "class": 'bir "iki"\\üç',
        "lanes": 1,
        "old": "1131",
    }
    assert stored["Y-01"].attributes == {"class": None, "lanes": 2, "old": "2.5"}
    assert stored["Y-02"].attributes["old"] is None
    assert stored["Y-03"].geometry.extent == pytest.approx(
        (36.13, 36.2, 36.13, 36.21), abs=1e-9
    )
    assert not any(p["kind"] == "duplicate_code" for p in report.checks)


def test_detailed_features_are_cut_into_blocks_of_bounded_size(
    hatay, tmp_path, monkeypatch
):
    monkeypatch.setattr(pipeline, "BATCH_BYTES", 850)
    blocks = []
    real = pipeline._copy_block

    def counted(generation_id, batch):
        blocks.append(batch.count)
        return real(generation_id, batch)

    monkeypatch.setattr(pipeline, "_copy_block", counted)
    # 797 bytes of WKB each ring, 93 each box: one ring per block, then the
    # two boxes together.
    rings = [Point(36.1 + i / 100, 36.2).buffer(0.003, 12) for i in range(3)]
    small = [box(36.2 + i / 100, 36.3, 36.205 + i / 100, 36.305) for i in range(2)]
    data = gpd.GeoDataFrame(
        {"AD": ["Bir", "İki", "Üç", "Dört", "Beş"], "KOD": ["1", "2", "3", "4", "5"]},
        geometry=[*rings, *small],
        crs="EPSG:4326",
    )
    path = tmp_path / "parklar.gpkg"
    data.to_file(path, driver="GPKG", layer="parklar")
    monkeypatch.setattr(pipeline, "BATCH_SIZE", 10)

    report = layer_import(
        path,
        "test-parklar",
        geometry_kind="polygon",
        name_field="AD",
        code_field="KOD",
        commit=True,
    )

    assert blocks == [1, 1, 1, 2]
    stored = {f.code: f for f in Feature.objects.filter(generation=report.generation)}
    assert [stored[c].name for c in "12345"] == ["Bir", "İki", "Üç", "Dört", "Beş"]
    assert stored["3"].geometry.num_coords == len(rings[2].exterior.coords)
    assert stored["5"].geometry.extent == pytest.approx(
        (36.21, 36.3, 36.215, 36.305), abs=1e-9
    )


def test_codes_repeated_in_different_batches_are_found(hatay, tmp_path):
    codes = ["A", "B", "C", "D", "E", "A", "F"]
    report = _import(_roads(tmp_path, codes=codes))

    (repeated,) = [p for p in report.checks if p["kind"] == "duplicate_code"]
    assert repeated["message"].startswith("code A is used by 2 features")


def test_a_refusal_after_blocks_were_sent_stores_nothing(hatay, tmp_path):
    names = [*NAMES[:4], "Ç" * 301, *NAMES[5:]]
    with pytest.raises(ImportRefused) as caught:
        _import(_roads(tmp_path, names=names), commit=True)

    assert str(caught.value).startswith("feature 5: its name is 301 characters long")
    assert not Generation.objects.filter(layer__code="test-yollar").exists()
    assert not Layer.objects.filter(code="test-yollar").exists()


def test_a_database_error_mid_stream_is_raised_and_stores_nothing(
    hatay, tmp_path, monkeypatch
):
    blocks = []
    real = pipeline._copy_block

    def second_block_broken(generation_id, batch):
        blocks.append(batch.count)
        if len(blocks) == 2:
            return b"not a number\tx\tx\t{}\tx\tf\n"
        return real(generation_id, batch)

    monkeypatch.setattr(pipeline, "_copy_block", second_block_broken)
    with pytest.raises(psycopg.DataError):
        _import(_roads(tmp_path), commit=True)

    assert len(blocks) >= 2
    assert not Layer.objects.filter(code="test-yollar").exists()
