-- Days of each year under a drought restriction of level alerte or above (any zone type), per
-- commune, and the mean over the territory's communes. Every commune counts (0 without an order)
-- for every year the file covers.
WITH days AS (
    SELECT DISTINCT r.code_commune AS code, d::DATE AS jour, r.niveau_gravite
    FROM ref('restrictions-secheresse') AS r,
         unnest(generate_series(r.date_debut::TIMESTAMP, r.date_fin::TIMESTAMP, INTERVAL 1 DAY)) AS t(d)
),
per_day AS (
    SELECT code, jour, bool_or(niveau_gravite IN ('alerte', 'alerte_renforcee', 'crise')) AS alerte,
           bool_or(niveau_gravite = 'crise') AS crise, true AS restriction
    FROM days GROUP BY ALL
),
years AS (SELECT DISTINCT CAST(year(jour) AS INTEGER) AS period FROM per_day),
c AS (
    SELECT co.code, co.nom, y.period,
           count(*) FILTER (WHERE p.alerte) AS jours_alerte, count(*) FILTER (WHERE p.crise) AS jours_crise,
           count(p.jour) AS jours_restriction
    FROM ref('communes') AS co CROSS JOIN years AS y
    LEFT JOIN per_day AS p ON p.code = co.code AND year(p.jour) = y.period
    GROUP BY ALL
)
SELECT 'commune' AS mesh, code, nom AS libelle, period, jours_alerte::DOUBLE AS value, jours_crise,
       jours_restriction, 0.0 AS masked_share, 0.0 AS estimated_share, 1.0 AS completeness
FROM c
UNION ALL
SELECT 'epci', coalesce(nullif(param('territory.epci'), ''), 'territoire'), param('territory.name'), period, avg(jours_alerte), avg(jours_crise), avg(jours_restriction),
       0.0, 0.0, 1.0
FROM c GROUP BY period
