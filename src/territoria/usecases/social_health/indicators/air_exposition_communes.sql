-- Population exposure where station coverage allows: a commune with at least one valid station
-- gets the mean of its stations' annual means (stations are not weighted by type: an urban
-- background station and a traffic station count alike) and its population is counted as exposed
-- above the WHO 2021 guideline when that mean exceeds it. A commune without a station has no
-- value (completeness 0): nothing is interpolated. For the territory: the population-weighted
-- mean over the covered communes, completeness = the share of the population they hold.
-- Means and weighted sums add DECIMAL(38, 9) values: exact, whatever the thread count.
WITH s AS (
    SELECT commune, polluant, annee, avg(valeur::DECIMAL(38, 9)) AS valeur, count(*) AS stations
    FROM ref('qualite_air_annuelle') WHERE capture >= param('air_couverture_min') GROUP BY ALL
),
g AS (
    SELECT polluant, annee, CASE polluant WHEN 'NO2' THEN 10 WHEN 'PM10' THEN 15 WHEN 'PM2.5' THEN 5 END AS oms
    FROM s GROUP BY ALL
),
c AS (
    SELECT co.code, co.nom, co.population, g.polluant, g.annee, g.oms, s.valeur, s.stations
    FROM ref('communes') AS co CROSS JOIN g
    LEFT JOIN s ON s.commune = co.code AND s.polluant = g.polluant AND s.annee = g.annee
)
SELECT 'commune' AS mesh, code, nom AS libelle, annee AS period, polluant, valeur AS value, stations, population,
       CASE WHEN valeur IS NULL THEN NULL WHEN valeur > oms THEN population ELSE 0 END AS population_au_dessus_oms,
       oms AS ligne_directrice_oms, 0.0 AS masked_share, 0.0 AS estimated_share,
       CASE WHEN valeur IS NULL THEN 0.0 ELSE 1.0 END AS completeness
FROM c
UNION ALL
SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), annee, polluant,
       (sum(valeur::DECIMAL(38, 9) * population) / nullif(sum(population) FILTER (WHERE valeur IS NOT NULL), 0))::DOUBLE,
       sum(stations),
       sum(population) FILTER (WHERE valeur IS NOT NULL),
       sum(CASE WHEN valeur > oms THEN population ELSE 0 END) FILTER (WHERE valeur IS NOT NULL), max(oms), 0.0, 0.0,
       coalesce(sum(population) FILTER (WHERE valeur IS NOT NULL) / nullif(sum(population), 0), 0.0)
FROM c GROUP BY annee, polluant
