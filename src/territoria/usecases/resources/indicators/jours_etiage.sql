-- Days of each year whose daily mean flow is below the station's low-water threshold, per
-- station, and the mean over the stations of each commune and of the territory. Completeness is
-- the share of the year's days with a flow (a year under way is incomplete, not low).
WITH s AS (
    SELECT code_station, any_value(libelle_station) AS libelle, any_value(libelle_cours_eau) AS cours_eau,
           any_value(commune) AS commune, any_value(commune_nom) AS commune_nom, CAST(year(jour) AS INTEGER) AS period,
           count(*) FILTER (WHERE sous_seuil) AS jours, count(*) AS jours_mesures, any_value(seuil_l_s) AS seuil_l_s,
           any_value(seuil_origine) AS seuil_origine,
           count(*) / (CASE WHEN (year(jour) % 4 = 0 AND year(jour) % 100 <> 0) OR year(jour) % 400 = 0 THEN 366 ELSE 365 END) AS couverture
    FROM ref('debits_etiage') GROUP BY code_station, year(jour)
)
SELECT 'station' AS mesh, code_station AS code, coalesce(libelle, code_station) AS libelle, period, jours::DOUBLE AS value,
       cours_eau, commune, seuil_l_s, seuil_origine, 1 AS stations, 0.0 AS masked_share, 0.0 AS estimated_share,
       least(1.0, couverture) AS completeness
FROM s
UNION ALL
SELECT 'commune', commune, commune_nom, period, avg(jours)::DOUBLE, NULL, commune, NULL, NULL, count(*), 0.0, 0.0,
       least(1.0, avg(couverture))
FROM s GROUP BY commune, commune_nom, period
UNION ALL
SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), period,
       avg(jours)::DOUBLE, NULL, NULL, NULL, NULL, count(*), 0.0, 0.0, least(1.0, avg(couverture))
FROM s GROUP BY period
