-- Area in km², computed in the official projection of the commune's territory: Lambert-93
-- (EPSG:2154) in metropolitan France, the local UTM of each overseas département (Lambert-93
-- far from its area triples La Réunion's surfaces). Branches of literal CRSs rather than one
-- CRS column: PostGIS caches transformations by SRID, not by text.
SELECT
    code,
    ST_Area(CASE left(code, 3)
        WHEN '971' THEN ST_Transform(geometry, 'EPSG:4326', 'EPSG:5490', always_xy := true)  -- RGAF09 / UTM 20N
        WHEN '972' THEN ST_Transform(geometry, 'EPSG:4326', 'EPSG:5490', always_xy := true)  -- RGAF09 / UTM 20N
        WHEN '973' THEN ST_Transform(geometry, 'EPSG:4326', 'EPSG:2972', always_xy := true)  -- RGFG95 / UTM 22N
        WHEN '974' THEN ST_Transform(geometry, 'EPSG:4326', 'EPSG:2975', always_xy := true)  -- RGR92 / UTM 40S
        WHEN '976' THEN ST_Transform(geometry, 'EPSG:4326', 'EPSG:4471', always_xy := true)  -- RGM04 / UTM 38S
        ELSE ST_Transform(geometry, 'EPSG:4326', 'EPSG:2154', always_xy := true)
    END) / 1e6 AS surface_km2,
    method AS boundary_method
FROM ref('contours-communes')
