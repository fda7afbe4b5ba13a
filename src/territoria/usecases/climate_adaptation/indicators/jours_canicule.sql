WITH s AS (
    SELECT datastream, commune, commune_nom,
           count(*) FILTER (WHERE ibmn >= param('canicule_ibmn') AND ibmx >= param('canicule_ibmx')) AS jours,
           count(ibmn) AS jours_evalues
    FROM ref('jours_capteurs') WHERE NOT reference GROUP BY ALL
),
p AS (SELECT strftime(min(day), '%Y-%m-%d') || '/' || strftime(max(day), '%Y-%m-%d') AS period,
             date_diff('day', min(day), max(day)) + 1 AS jours FROM ref('jours_capteurs'))
SELECT 'commune' AS mesh, s.commune AS code, s.commune_nom AS libelle, p.period, avg(s.jours)::DOUBLE AS value,
       param('canicule_ibmn') AS seuil_ibmn, param('canicule_ibmx') AS seuil_ibmx,
       0.0 AS masked_share, 0.0 AS estimated_share, least(1.0, avg(s.jours_evalues) / p.jours) AS completeness
FROM s, p WHERE s.commune IS NOT NULL GROUP BY s.commune, s.commune_nom, p.period, p.jours
UNION ALL
SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), p.period, avg(s.jours)::DOUBLE,
       param('canicule_ibmn'), param('canicule_ibmx'), 0.0, 0.0, least(1.0, avg(s.jours_evalues) / p.jours)
FROM s, p GROUP BY p.period, p.jours
