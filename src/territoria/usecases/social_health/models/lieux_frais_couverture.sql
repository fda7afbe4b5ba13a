-- Access to cool places per commune: the share of the commune's area within
-- fraicheur_distance_m (straight line) of a cool place of the territory's list, computed in the
-- official projection of the territory on the shipped boundaries (Lambert-93, EPSG:2154, in
-- metropolitan France; the local UTM overseas, where Lambert-93 would make the 300 m about 160 real
-- metres), and the number of places in the commune.
-- Area, not population: no population grid is shipped (see the pack's method notes). A commune
-- without a boundary has no coverage (NULL): the index leaves the factor out and says so.
WITH zone_d AS (SELECT min(left(code, 3)) AS d FROM ref('communes')),
geo AS (
    -- the places (no code) and the boundaries in one column, so that one projection serves both
    SELECT NULL AS code, NULL AS nom, ST_Point(longitude, latitude) AS g FROM ref('lieux-frais')
    UNION ALL
    SELECT co.code, co.nom, b.geometry FROM ref('communes') AS co LEFT JOIN ref('contours-communes') AS b USING (code)
),
projected AS (
    -- literal CRSs in branches: PostGIS caches transformations by SRID, not by text
    SELECT geo.code, geo.nom, CASE zone_d.d
        WHEN '971' THEN ST_Transform(geo.g, 'EPSG:4326', 'EPSG:5490', always_xy := true)  -- RGAF09 / UTM 20N
        WHEN '972' THEN ST_Transform(geo.g, 'EPSG:4326', 'EPSG:5490', always_xy := true)  -- RGAF09 / UTM 20N
        WHEN '973' THEN ST_Transform(geo.g, 'EPSG:4326', 'EPSG:2972', always_xy := true)  -- RGFG95 / UTM 22N
        WHEN '974' THEN ST_Transform(geo.g, 'EPSG:4326', 'EPSG:2975', always_xy := true)  -- RGR92 / UTM 40S
        WHEN '976' THEN ST_Transform(geo.g, 'EPSG:4326', 'EPSG:4471', always_xy := true)  -- RGM04 / UTM 38S
        ELSE ST_Transform(geo.g, 'EPSG:4326', 'EPSG:2154', always_xy := true)
    END AS g
    FROM geo, zone_d
),
p AS (SELECT g FROM projected WHERE code IS NULL),
z AS (SELECT ST_Union_Agg(ST_Buffer(g, param('fraicheur_distance_m'))) AS zone FROM p),
c AS (SELECT code, nom, g FROM projected WHERE code IS NOT NULL)
SELECT c.code, c.nom,
       CASE WHEN c.g IS NULL THEN NULL
            WHEN z.zone IS NULL THEN 0.0
            ELSE least(1.0, ST_Area(ST_Intersection(c.g, z.zone)) / nullif(ST_Area(c.g), 0)) END AS part_couverte,
       (SELECT count(*) FROM p WHERE c.g IS NOT NULL AND ST_Within(p.g, c.g)) AS nb_lieux,
       param('fraicheur_distance_m') AS distance_m
FROM c, z
