-- Access to cool places per commune: the share of the commune's area within
-- fraicheur_distance_m (straight line) of a cool place of the territory's list, computed in
-- Lambert-93 (EPSG:2154) on the shipped boundaries, and the number of places in the commune.
-- Area, not population: no population grid is shipped (see the pack's method notes). A commune
-- without a boundary has no coverage (NULL): the index leaves the factor out and says so.
WITH p AS (
    SELECT ST_Transform(ST_Point(longitude, latitude), 'EPSG:4326', 'EPSG:2154', always_xy := true) AS g
    FROM ref('lieux-frais')
),
z AS (SELECT ST_Union_Agg(ST_Buffer(g, param('fraicheur_distance_m'))) AS zone FROM p),
c AS (
    SELECT co.code, co.nom, ST_Transform(b.geometry, 'EPSG:4326', 'EPSG:2154', always_xy := true) AS g
    FROM ref('communes') AS co LEFT JOIN ref('contours-communes') AS b USING (code)
)
SELECT c.code, c.nom,
       CASE WHEN c.g IS NULL THEN NULL
            WHEN z.zone IS NULL THEN 0.0
            ELSE least(1.0, ST_Area(ST_Intersection(c.g, z.zone)) / nullif(ST_Area(c.g), 0)) END AS part_couverte,
       (SELECT count(*) FROM p WHERE c.g IS NOT NULL AND ST_Within(p.g, c.g)) AS nb_lieux,
       param('fraicheur_distance_m') AS distance_m
FROM c, z
