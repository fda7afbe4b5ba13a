-- Means of temperatures add them as DECIMAL(38, 9): exact, so they do not depend on the thread count.
WITH s AS (
    SELECT datastream, commune, commune_nom, avg(ecart::DECIMAL(38, 9)) AS icu, count(ecart) AS nuits
    FROM ref('nuits_capteurs') WHERE NOT reference GROUP BY ALL
),
p AS (SELECT strftime(min(nuit), '%Y-%m-%d') || '/' || strftime(max(nuit), '%Y-%m-%d') AS period,
             count(DISTINCT nuit) AS nuits FROM ref('nuits_capteurs'))
SELECT 'commune' AS mesh, s.commune AS code, s.commune_nom AS libelle, p.period, avg(s.icu::DECIMAL(38, 9)) AS value,
       count(*) AS capteurs, 0.0 AS masked_share, 0.0 AS estimated_share, avg(s.nuits) / p.nuits AS completeness
FROM s, p WHERE s.commune IS NOT NULL GROUP BY s.commune, s.commune_nom, p.period, p.nuits
UNION ALL
SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), p.period, avg(s.icu::DECIMAL(38, 9)), count(*), 0.0, 0.0,
       avg(s.nuits) / p.nuits
FROM s, p GROUP BY p.period, p.nuits
