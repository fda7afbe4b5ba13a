-- Access to cool places per commune: the share of the commune's area within
-- fraicheur_distance_m (straight line) of a cool place of the territory's list, computed in the
-- official projection of each commune's territory on the shipped boundaries (Lambert-93,
-- EPSG:2154, in metropolitan France; the local UTM overseas, where Lambert-93 would make the 300 m
-- about 160 real metres): a territory spanning several (a commune of La Réunion with a
-- metropolitan one) gets each commune's figures as if it were a territory of its own. And the
-- number of places in the commune.
-- Area, not population: no population grid is shipped (see the pack's method notes). A commune
-- without a boundary has no coverage (NULL): the index leaves the factor out and says so.
WITH zones AS (
    SELECT code, nom, CASE WHEN left(code, 2) = '97' THEN left(code, 3) ELSE 'metropole' END AS zone
    FROM ref('communes')
),
places AS (SELECT longitude, latitude FROM ref('lieux-frais')),  -- (the inputs in the lineage's order)
communes AS (
    SELECT z.code, z.nom, z.zone, b.geometry AS g FROM zones AS z LEFT JOIN ref('contours-communes') AS b USING (code)
),
extent AS (
    -- each projection serves the places near its communes only (one degree around them, far more
    -- than any walking distance): a UTM zone is no projection for the other side of the world
    SELECT zone, min(ST_XMin(g)) - 1 AS x0, max(ST_XMax(g)) + 1 AS x1,
           min(ST_YMin(g)) - 1 AS y0, max(ST_YMax(g)) + 1 AS y1
    FROM communes GROUP BY zone
),
geo AS (
    -- the places (no code) and the boundaries in one column, so that one projection serves both
    SELECT NULL AS code, NULL AS nom, e.zone, ST_Point(l.longitude, l.latitude) AS g
    FROM places AS l JOIN extent AS e
      ON l.longitude BETWEEN e.x0 AND e.x1 AND l.latitude BETWEEN e.y0 AND e.y1
    UNION ALL
    SELECT code, nom, zone, g FROM communes
),
projected AS (
    SELECT code, nom, zone, local_projection(g, zone) AS g FROM geo
),
p AS (SELECT zone, g FROM projected WHERE code IS NULL),
z AS (SELECT zone, ST_Union_Agg(ST_Buffer(g, param('fraicheur_distance_m'))) AS area FROM p GROUP BY zone),
c AS (SELECT code, nom, zone, g FROM projected WHERE code IS NOT NULL)
SELECT c.code, c.nom,
       CASE WHEN c.g IS NULL THEN NULL
            WHEN z.area IS NULL THEN 0.0
            ELSE least(1.0, ST_Area(ST_Intersection(c.g, z.area)) / nullif(ST_Area(c.g), 0)) END AS part_couverte,
       (SELECT count(*) FROM p WHERE p.zone = c.zone AND c.g IS NOT NULL AND ST_Within(p.g, c.g)) AS nb_lieux,
       param('fraicheur_distance_m') AS distance_m
FROM c LEFT JOIN z USING (zone)
