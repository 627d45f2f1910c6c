"""A single point is placed in a small layer as a batch would place it.

``LayerView.covering`` tests one arriving request's point feature by
feature on Python floats; a batch (history import, bulk routing) tests
arrays. Both must name the same first feature and the same number of
features for every point: inside, outside, on a shared border, on a
vertex, and NaN.
"""

import numpy as np

import shapely

from routing_rules.context import live_context


def test_one_point_is_covered_as_in_a_batch(hatay):
    context = live_context()
    view = context.index(context.district_layer).view()
    assert len(view) == 15
    rng = np.random.default_rng(153)
    west, south, east, north = shapely.bounds(shapely.union_all(view.geoms))
    x = list(rng.uniform(west - 0.05, east + 0.05, 400))
    y = list(rng.uniform(south - 0.05, north + 0.05, 400))
    # Vertices of every district: on a border two districts cover them.
    for geom in view.geoms:
        coords = shapely.get_coordinates(geom)[::50]
        x += list(coords[:, 0])
        y += list(coords[:, 1])
    x += [np.nan, 36.16, np.nan]
    y += [36.2, np.nan, np.nan]
    x, y = np.array(x), np.array(y)

    first, count = view.covering(x, y)
    one = [view.covering(x[i : i + 1], y[i : i + 1]) for i in range(len(x))]

    assert [int(f[0]) for f, _ in one] == first.tolist()
    assert [int(c[0]) for _, c in one] == count.tolist()
    assert (count >= 2).sum() > 10  # border vertices were tested
    assert (count == 1).sum() > 100 and (first == -1).sum() > 10
    assert first[-3:].tolist() == [-1, -1, -1]
