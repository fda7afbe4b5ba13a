-- Days of each year under a drought restriction of level alerte or above (any zone type), per
-- commune, and the mean over the territory's communes. Every commune counts (0 without an order)
-- for every year the file covers. A day under several orders counts once, at its highest level.
WITH days AS (
    SELECT r.code_commune AS code, t.jour::DATE AS jour,
           CASE r.niveau_gravite WHEN 'crise' THEN 4 WHEN 'alerte_renforcee' THEN 3 WHEN 'alerte' THEN 2 ELSE 1 END AS rang
    FROM ref('restrictions-secheresse') AS r,
         unnest(generate_series(r.date_debut::TIMESTAMP, r.date_fin::TIMESTAMP, INTERVAL 1 DAY)) AS t(jour)
),
per_day AS (SELECT code, jour, max(rang) AS rang FROM days GROUP BY code, jour),
per_year AS (
    SELECT code, CAST(year(jour) AS INTEGER) AS period,
           count(*) FILTER (WHERE rang >= 2) AS jours_alerte, count(*) FILTER (WHERE rang = 4) AS jours_crise,
           count(*) AS jours_restriction
    FROM per_day GROUP BY ALL
),
years AS (SELECT DISTINCT period FROM per_year),
c AS (
    SELECT co.code, co.nom, y.period, coalesce(p.jours_alerte, 0) AS jours_alerte,
           coalesce(p.jours_crise, 0) AS jours_crise, coalesce(p.jours_restriction, 0) AS jours_restriction
    FROM ref('communes') AS co CROSS JOIN years AS y
    LEFT JOIN per_year AS p ON p.code = co.code AND p.period = y.period
)
SELECT 'commune' AS mesh, code, nom AS libelle, period, jours_alerte::DOUBLE AS value, jours_crise,
       jours_restriction, 0.0 AS masked_share, 0.0 AS estimated_share, 1.0 AS completeness
FROM c
UNION ALL
SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), period,
       avg(jours_alerte), avg(jours_crise), avg(jours_restriction), 0.0, 0.0, 1.0
FROM c GROUP BY period
