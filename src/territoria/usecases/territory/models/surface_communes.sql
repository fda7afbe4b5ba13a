-- Area in km², computed in the official projection of the commune's territory: Lambert-93
-- (EPSG:2154) in metropolitan France, the local UTM of each overseas département (Lambert-93
-- far from its area triples La Réunion's surfaces; the macro: catalog/sql_macros.py).
SELECT
    code,
    ST_Area(local_projection(geometry, left(code, 3))) / 1e6 AS surface_km2,
    method AS boundary_method
FROM ref('contours-communes')
