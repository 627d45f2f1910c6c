"""Importing layers: one service for the command line and the web upload.

The steps, each in its own module:

- ``sources``: open the file (GeoJSON, GeoPackage, KML, shapefile, a zip
  holding one), pick its layer, learn its fields, CRS and text encoding;
  refuse with a clear question where a person must choose.
- ``crs``: suggest projections for a file with no CRS from where the
  jurisdiction would fall in each candidate.
- ``pipeline``: stream the features in batches, reproject once to the
  storage SRID, repair, and COPY them into a new generation.
- ``checks``: what is wrong with the new generation (overlaps, gaps,
  slivers, features outside the province, codes repeated or gone, counts
  and areas against the active generation).
- ``impact``: which open requests would change district if it went live.
- ``service``: ``layer_import`` ties them together; dry run by default.
"""
