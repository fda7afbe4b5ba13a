WITH s AS (
    SELECT datastream, commune, commune_nom, count(*) FILTER (WHERE tmin >= param('nuit_tropicale_tmin')) AS nuits,
           count(*) AS jours
    FROM ref('jours_capteurs') WHERE NOT reference GROUP BY ALL
),
p AS (SELECT strftime(min(day), '%Y-%m-%d') || '/' || strftime(max(day), '%Y-%m-%d') AS period,
             date_diff('day', min(day), max(day)) + 1 AS jours FROM ref('jours_capteurs'))
SELECT 'commune' AS mesh, s.commune AS code, s.commune_nom AS libelle, p.period, avg(s.nuits)::DOUBLE AS value,
       max(s.nuits) AS max_capteur, count(*) AS capteurs, 0.0 AS masked_share, 0.0 AS estimated_share,
       avg(s.jours) / p.jours AS completeness
FROM s, p WHERE s.commune IS NOT NULL GROUP BY s.commune, s.commune_nom, p.period, p.jours
UNION ALL
SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), p.period, avg(s.nuits)::DOUBLE, max(s.nuits),
       count(*), 0.0, 0.0, avg(s.jours) / p.jours
FROM s, p GROUP BY p.period, p.jours
