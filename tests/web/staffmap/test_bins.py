"""The bin grid: sizes per zoom, cells that nest, and the examples."""

import doctest
import math

import pytest

from geopool.web.staffmap import bins


def test_docstring_examples():
    result = doctest.testmod(bins, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize(
    "zoom, metres",
    [
        (7, 39135.76),  # the province in a phone's screen
        (9, 9783.94),
        (16, 76.44),  # a street
    ],
)
def test_a_bin_is_32_screen_pixels_wide_at_each_zoom(zoom, metres):
    view = bins.Viewport(36.0, 36.0, 36.1, 36.1, zoom)
    assert view.cell_m == pytest.approx(metres, abs=0.01)


def test_a_bin_splits_into_four_at_the_next_zoom():
    x, y = bins.mercator_x(36.1603), bins.mercator_y(36.2021)
    coarse = bins.Viewport(0, 0, 1, 1, 12).cell_m
    fine = bins.Viewport(0, 0, 1, 1, 13).cell_m
    assert math.floor(x / fine) // 2 == math.floor(x / coarse)
    assert math.floor(y / fine) // 2 == math.floor(y / coarse)


def test_a_phone_and_a_4k_screen_fit_within_the_bin_limit():
    # 390 x 844 px and 3840 x 2160 px of Hatay at zoom 12.
    for width, height in ((390, 844), (3840, 2160)):
        metres = bins.METRES_PER_PX_Z0 / 2**12
        lon = math.degrees(width * metres / bins.EARTH_RADIUS_M)
        south = 36.0
        north_y = bins.mercator_y(south) + height * metres
        north = math.degrees(
            2 * math.atan(math.exp(north_y / bins.EARTH_RADIUS_M)) - math.pi / 2
        )
        view = bins.viewport_parse(f"36.0,{south},{36.0 + lon},{north}", "12")
        assert view.grid_cells() <= bins.MAX_GRID_CELLS
