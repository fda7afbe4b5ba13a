-- Communes without a sensor have no measured exposure: value NULL, completeness 0.
WITH nt AS (
    SELECT commune, avg(nuits) AS nuits FROM (
        SELECT datastream, commune, count(*) FILTER (WHERE tmin >= param('nuit_tropicale_tmin')) AS nuits
        FROM ref('jours_capteurs') WHERE NOT reference GROUP BY ALL
    ) GROUP BY ALL
),
p AS (SELECT strftime(min(day), '%Y-%m-%d') || '/' || strftime(max(day), '%Y-%m-%d') AS period FROM ref('jours_capteurs')),
c AS (
    SELECT co.code, co.nom, v.P75PLUS AS p75, nt.nuits,
           CASE WHEN nt.nuits IS NULL THEN NULL
                WHEN nt.nuits >= param('exposition_nuits_tropicales_min') THEN v.P75PLUS ELSE 0 END AS exposes
    FROM ref('communes') AS co
    LEFT JOIN ref('population-75-plus') AS v ON v.CODGEO = co.code
    LEFT JOIN nt ON nt.commune = co.code
)
SELECT 'commune' AS mesh, c.code, c.nom AS libelle, p.period, c.exposes::DOUBLE AS value, c.p75 AS population_75_plus,
       c.nuits AS nuits_tropicales, 0.0 AS masked_share, 0.0 AS estimated_share,
       CASE WHEN c.nuits IS NULL OR c.p75 IS NULL THEN 0.0 ELSE 1.0 END AS completeness
FROM c, p
UNION ALL
SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), p.period, sum(c.exposes)::DOUBLE, sum(c.p75),
       avg(c.nuits), 0.0, 0.0, count(c.exposes) / count(*)
FROM c, p GROUP BY p.period
