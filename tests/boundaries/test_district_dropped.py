"""A new districts generation that drops a district is an error, not a warning."""

import pytest
from django.core.management import CommandError, call_command

import geopandas as gpd
from shapely import wkt

from boundaries.errors import ActivationRefused
from boundaries.importing.service import layer_import
from boundaries.models import Feature, Generation
from boundaries.services.generations import generation_activate

pytestmark = pytest.mark.django_db


def _districts_without(tmp_path, dropped_code):
    active = Generation.objects.get(layer__code="districts", is_active=True)
    rows = [
        (f.name, f.code, wkt.loads(f.geometry.wkt))
        for f in Feature.objects.filter(generation=active).order_by("code")
        if f.code != dropped_code
    ]
    names, codes, shapes = zip(*rows, strict=True)
    path = tmp_path / "ilceler-eksik.geojson"
    gpd.GeoDataFrame(
        {"AD": names, "KOD": codes}, geometry=list(shapes), crs="EPSG:4326"
    ).to_file(path, driver="GeoJSON")
    return path


def test_a_missing_district_blocks_activation_unless_forced(hatay, tmp_path):
    antakya = Feature.objects.get(
        generation__layer__code="districts", generation__is_active=True, name="Antakya"
    )
    path = _districts_without(tmp_path, antakya.code)

    report = layer_import(
        path, "districts", name_field="AD", code_field="KOD", commit=True
    )

    (missing,) = [p for p in report.checks if p["kind"] == "missing_code"]
    assert missing["severity"] == "error"
    assert missing["message"] == (
        f"code {antakya.code} (Antakya) is in the active generation but not in this one"
    )
    with pytest.raises(ActivationRefused, match="has 1 error"):
        generation_activate(report.generation)
    assert Generation.objects.get(layer__code="districts", is_active=True).pk != (
        report.generation.pk
    )
    generation_activate(report.generation, force=True)
    report.generation.refresh_from_db()
    assert report.generation.is_active


def test_import_layer_refuses_to_activate_it_without_force(hatay, tmp_path):
    antakya = Feature.objects.get(
        generation__layer__code="districts", generation__is_active=True, name="Antakya"
    )
    path = _districts_without(tmp_path, antakya.code)
    before = Generation.objects.get(layer__code="districts", is_active=True).pk
    with pytest.raises(CommandError, match="not activated"):
        call_command(
            "import_layer",
            str(path),
            "--layer=districts",
            "--name-field=AD",
            "--code-field=KOD",
            "--commit",
            "--activate",
        )
    assert Generation.objects.get(layer__code="districts", is_active=True).pk == before
