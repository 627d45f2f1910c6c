"""Layer generations held in memory for routing, many points at a time.

A generation never changes once imported, so its features are read once per
process (``layer_index``) and kept, keyed by the generation's id. Geometries
are kept twice: in storage coordinates (WGS 84), where "covered by" is
tested exactly as PostGIS does (a point on a shared edge is covered by both
sides), and in a metric CRS, where distances in metres on the ground are
measured: a transverse Mercator on GRS 80 whose central meridian runs
through the jurisdiction (``metric_crs``; for Hatay, lon_0 = 36.2°, close to
TUREF / TM36, EPSG:5256). Within 1° of that meridian its scale error is
below 0.012 % (3 mm in 25 m).

Example: ``layer_index(generation).view({"owner": {"values": ["KGM"],
"negate": False}}).nearest(mx, my, 25.0)`` gives, for each point, the index
of the nearest KGM road within 25 m (or -1) and its distance.
"""

import json
import logging
import threading
from collections import OrderedDict
from functools import lru_cache

import numpy as np
from django.db import connection

import shapely
from pyproj import Transformer

from geopool.spatial import STORAGE_SRID

logger = logging.getLogger(__name__)

# Polygon layers with at most this many features are tested feature by feature
# (prepared geometry, box prefilter); larger ones through an STRtree.
SMALL_LAYER = 64
CACHE_SIZE = 32

_FEATURES = """
    SELECT f.name, f.code, f.attributes, ST_AsBinary(f.geometry), f.id
    FROM boundaries_feature f
    WHERE f.generation_id = %s
    ORDER BY f.code, f.name, f.id
"""

# Distances are measured to the pieces of large features (at most
# SUBDIVIDE_MAX_VERTICES each, see boundaries.models): nearest-feature
# searches over a detailed coastline stay fast.
_PARTS = """
    SELECT feature_id, ST_AsBinary(geometry) FROM boundaries_lookup
    WHERE generation_id = %s
"""


def metric_crs(lon_0):
    """The metric CRS centred on meridian ``lon_0`` (degrees, one decimal)."""
    return (
        f"+proj=tmerc +lat_0=0 +lon_0={lon_0:.1f} +k=1 +x_0=500000 +y_0=0 "
        "+ellps=GRS80 +units=m +no_defs"
    )


@lru_cache(maxsize=8)
def _transformer(lon_0):
    return Transformer.from_crs(
        f"EPSG:{STORAGE_SRID}", metric_crs(lon_0), always_xy=True
    )


def to_metric(lon, lat, lon_0):
    """Project WGS 84 arrays to the metric CRS (NaN stays NaN)."""
    return _transformer(lon_0).transform(np.asarray(lon), np.asarray(lat))


def _geoms_to_metric(geoms, lon_0):
    transformer = _transformer(lon_0)

    def project(coords):
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, project)


def _json(value):
    if isinstance(value, str):
        return json.loads(value) or {}
    return value or {}


def _matches(value, spec):
    hit = str(value if value is not None else "") in spec["values"]
    return not hit if spec["negate"] else hit


class LayerView:
    """The features of a layer that pass one attribute filter."""

    def __init__(self, layer, indices):
        self.layer = layer
        self.indices = indices
        self.geoms = layer.geoms[indices]
        keep = np.isin(layer.part_feature, indices)
        self.part_feature = layer.part_feature[keep]
        self.part_metric = layer.part_metric[keep]
        self.bounds = shapely.bounds(self.geoms) if len(indices) else np.empty((0, 4))
        # The same boxes as Python floats, for a single point (a request as
        # it arrives): comparing four floats costs less than four array ops.
        self._boxes = self.bounds.tolist()
        self._tree = None
        self._metric_tree = None

    def __len__(self):
        return len(self.indices)

    @property
    def tree(self):
        if self._tree is None:
            self._tree = shapely.STRtree(self.geoms)
        return self._tree

    @property
    def metric_tree(self):
        if self._metric_tree is None:
            self._metric_tree = shapely.STRtree(self.part_metric)
        return self._metric_tree

    def covering(self, x, y):
        """For each point, (first covering feature, number covering); -1 if none.

        "First" is the lowest code, the layer's order. Returns layer indices.
        """
        n = len(x)
        first = np.full(n, -1, dtype=np.int64)
        count = np.zeros(n, dtype=np.int32)
        if not len(self) or not n:
            return first, count
        if len(self) <= SMALL_LAYER and n == 1:
            return self._covering_one(float(x[0]), float(y[0]), first, count)
        if len(self) <= SMALL_LAYER:
            for position in range(len(self)):
                west, south, east, north = self.bounds[position]
                near = np.flatnonzero(
                    (x >= west) & (x <= east) & (y >= south) & (y <= north)
                )
                if not len(near):
                    continue
                hit = near[
                    shapely.intersects_xy(self.geoms[position], x[near], y[near])
                ]
                count[hit] += 1
                fresh = hit[first[hit] < 0]
                first[fresh] = self.indices[position]
            return first, count
        points = shapely.points(x, y)
        pairs = self.tree.query(points, predicate="intersects")
        if pairs.shape[1]:
            point_idx, position = pairs
            order = np.lexsort((position, point_idx))
            point_idx, position = point_idx[order], position[order]
            np.add.at(count, point_idx, 1)
            starts = np.r_[True, point_idx[1:] != point_idx[:-1]]
            first[point_idx[starts]] = self.indices[position[starts]]
        return first, count

    def _covering_one(self, x, y, first, count):
        """``covering`` for one point of a small layer, feature by feature.

        A NaN coordinate is inside no box, as in the arrays' comparisons.
        """
        for position, (west, south, east, north) in enumerate(self._boxes):
            if (
                west <= x <= east
                and south <= y <= north
                and shapely.intersects_xy(self.geoms[position], x, y)
            ):
                if count[0] == 0:
                    first[0] = self.indices[position]
                count[0] += 1
        return first, count

    def all_covering(self, x, y):
        """Layer indices of every feature covering one point (lowest code first)."""
        return [
            int(self.indices[p])
            for p in range(len(self))
            if shapely.intersects_xy(self.geoms[p], x, y)
        ]

    def nearest(self, mx, my, max_distance):
        """For each metric point, (nearest feature within max_distance, distance).

        Equidistant features resolve to the lowest code. -1 / inf if none.
        """
        n = len(mx)
        found = np.full(n, -1, dtype=np.int64)
        distance = np.full(n, np.inf)
        if not len(self) or not n:
            return found, distance
        points = shapely.points(mx, my)
        pairs, dists = self.metric_tree.query_nearest(
            points, max_distance=max_distance, return_distance=True, all_matches=True
        )
        if pairs.shape[1]:
            point_idx, part = pairs
            feature = self.part_feature[part]
            order = np.lexsort((feature, dists, point_idx))
            point_idx, feature, dists = point_idx[order], feature[order], dists[order]
            starts = np.r_[True, point_idx[1:] != point_idx[:-1]]
            found[point_idx[starts]] = feature[starts]
            distance[point_idx[starts]] = dists[starts]
        return found, distance


class LayerIndex:
    """All features of one generation, in layer order (code, then name)."""

    def __init__(self, layer_code, generation_id, number, rows, parts, lon_0):
        self.code = layer_code
        self.generation_id = generation_id
        self.number = number
        self.names = [r[0] for r in rows]
        self.codes = [r[1] or "" for r in rows]
        self.attributes = [_json(r[2]) for r in rows]
        self.geoms = shapely.from_wkb([bytes(r[3]) for r in rows])
        position = {r[4]: i for i, r in enumerate(rows)}
        self.part_feature = np.asarray(
            [position[feature_id] for feature_id, _ in parts], dtype=np.int64
        )
        self.part_metric = _geoms_to_metric(
            shapely.from_wkb([bytes(wkb) for _, wkb in parts]), lon_0
        )
        if len(rows):
            shapely.prepare(self.geoms)
        self._views = {}
        self._lock = threading.Lock()

    def __len__(self):
        return len(self.names)

    def view(self, filters=None):
        key = repr(sorted((filters or {}).items()))
        with self._lock:
            view = self._views.get(key)
            if view is None:
                if filters:
                    keep = [
                        i
                        for i, attrs in enumerate(self.attributes)
                        if all(_matches(attrs.get(k), s) for k, s in filters.items())
                    ]
                else:
                    keep = range(len(self))
                view = LayerView(self, np.asarray(list(keep), dtype=np.int64))
                self._views[key] = view
        return view

    def attribute_values(self, indices, name):
        return [
            str(self.attributes[i].get(name) or "") if i >= 0 else "" for i in indices
        ]


_cache = OrderedDict()
_cache_lock = threading.Lock()


def layer_index(layer_code, generation_id, number, lon_0):
    """The in-memory index of a generation (read from the database once)."""
    key = (generation_id, round(lon_0, 1))
    with _cache_lock:
        index = _cache.get(key)
        if index is not None:
            _cache.move_to_end(key)
            return index
    with connection.cursor() as cursor:
        cursor.execute(_FEATURES, [generation_id])
        rows = cursor.fetchall()
        cursor.execute(_PARTS, [generation_id])
        parts = cursor.fetchall()
    index = LayerIndex(layer_code, generation_id, number, rows, parts, lon_0)
    logger.debug(
        "layer %s generation %s: %d features in memory", layer_code, number, len(index)
    )
    with _cache_lock:
        _cache[key] = index
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return index


def cache_clear():
    with _cache_lock:
        _cache.clear()
