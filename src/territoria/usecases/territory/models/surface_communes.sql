-- Area in km², computed in Lambert-93 (EPSG:2154), the French metropolitan projection.
SELECT
    code,
    ST_Area(ST_Transform(geometry, 'EPSG:4326', 'EPSG:2154', always_xy := true)) / 1e6 AS surface_km2,
    method AS boundary_method
FROM ref('contours-communes')
