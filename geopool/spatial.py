"""Where every geometry lives and how it is measured.

This is the one place that states the storage SRID of each geometry column and
the index that serves metre-based queries; models and SQL import from here.

- Storage: every geometry column is WGS 84 (``STORAGE_SRID`` = EPSG:4326,
  x = longitude, y = latitude). Input is converted to it once, at the edge
  (import, API, forms); folium reads it as it is.
  * ``boundaries.Feature.geometry`` and ``boundaries.FeaturePart.geometry``
    (lookups read both through the view ``boundaries_lookup``): 4326, GiST
    index on the geometry. It serves ``ST_Covers`` directly, and metre-based
    searches (``ST_DWithin`` on geography, e.g. snapping a point to the
    nearest district within 25 m) through a box grown by the radius in
    degrees (``boundaries.lookup.degree_box``), so imports maintain one
    spatial index per table.
  * ``geopool.ServiceRequest.location``: 4326, GiST index on the geometry and
    an expression GiST index on ``location::geography`` (nearest requests in
    metres, KNN ``<->`` on geography).
- Measurement: metres on the ground, through ``geography`` (spheroid) in
  SQL. Where a planar metric CRS is needed (buffers, areas, import checks),
  ``METRIC_SRID`` = EPSG:5256, TUREF / TM36, central meridian 36°E, which
  covers all of Hatay. The routing engine measures in memory, in a
  transverse Mercator whose central meridian runs through the jurisdiction's
  districts (``routing_rules.layers.metric_crs``; scale error below 0.012 %
  within 1° of it), so distances stay true for any Turkish jurisdiction.

Never compare or buffer in degrees: at 36°N one degree of longitude is ~90 km
and one of latitude ~111 km.
"""

STORAGE_SRID = 4326
METRIC_SRID = 5256

# Subdivided parts keep lookups fast on detailed coastlines (ST_Subdivide).
SUBDIVIDE_MAX_VERTICES = 256
