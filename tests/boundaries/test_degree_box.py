"""The degree box that lets the geometry index serve metre-based searches."""

import pytest

from pyproj import Geod

from boundaries.lookup import degree_box

GEOD = Geod(ellps="WGS84")


@pytest.mark.parametrize("lat", [0.0, 36.2, -36.2, 60.0, 85.0])
@pytest.mark.parametrize("radius_m", [25, 20_000])
def test_circle_of_the_radius_fits_inside_the_box(lat, radius_m):
    dlon, dlat = degree_box(lat, radius_m)
    for azimuth in range(0, 360, 15):
        lon2, lat2, _ = GEOD.fwd(36.0, lat, azimuth, radius_m)
        assert abs(lon2 - 36.0) <= dlon
        assert abs(lat2 - lat) <= dlat


def test_box_is_tight_at_hatay():
    dlon, dlat = degree_box(36.2, 25)
    assert dlon == pytest.approx(0.000281, abs=2e-6)
    assert dlat == pytest.approx(0.000228, abs=2e-6)
