"""Tiny named geometries for tests (lon/lat, in the study area)."""

import shapely

# 0.1° square near Goris with a 0.02° hole
SQUARE = shapely.Polygon([(46.30, 39.50), (46.40, 39.50), (46.40, 39.60), (46.30, 39.60)])
HOLE = [(46.34, 39.54), (46.36, 39.54), (46.36, 39.56), (46.34, 39.56)]
SQUARE_WITH_HOLE = shapely.Polygon(SQUARE.exterior.coords, [HOLE])
BOWTIE = shapely.Polygon([(46.30, 39.50), (46.40, 39.60), (46.40, 39.50), (46.30, 39.60)])
