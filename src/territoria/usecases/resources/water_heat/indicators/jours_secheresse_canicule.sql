-- Days of each year both under a drought restriction of level alerte or above (VigiEau, any zone
-- type, resources pack) and in a heat wave at a sensor of the commune (3-day running means of Tmin
-- and Tmax at or above the département's thresholds, climate pack), counted per sensor and
-- averaged over the sensors of the mesh, as jours_canicule does. The thresholds are those the
-- climate pack applied (read from jours_canicule: it waits, and this with it, until they are set).
WITH seuils AS (SELECT any_value(seuil_ibmn) AS ibmn, any_value(seuil_ibmx) AS ibmx FROM ref('jours_canicule')),
alerte AS (
    SELECT DISTINCT r.code_commune AS commune, t.jour::DATE AS day
    FROM ref('restrictions-secheresse') AS r,
         unnest(generate_series(r.date_debut::TIMESTAMP, r.date_fin::TIMESTAMP, INTERVAL 1 DAY)) AS t(jour)
    WHERE r.niveau_gravite IN ('alerte', 'alerte_renforcee', 'crise')
),
j AS (
    SELECT c.datastream, c.commune, c.commune_nom, CAST(year(c.day) AS INTEGER) AS period, c.day, c.ibmn,
           c.ibmn >= s.ibmn AND c.ibmx >= s.ibmx AS canicule, a.day IS NOT NULL AS restriction
    FROM ref('jours_capteurs') AS c CROSS JOIN seuils AS s
    LEFT JOIN alerte AS a ON a.commune = c.commune AND a.day = c.day
    WHERE NOT c.reference AND c.commune IS NOT NULL
),
s AS (
    SELECT datastream, commune, commune_nom, period,
           count(*) FILTER (WHERE canicule AND restriction) AS jours,
           count(*) FILTER (WHERE canicule) AS jours_canicule,
           count(*) FILTER (WHERE restriction AND ibmn IS NOT NULL) AS jours_restriction,
           count(ibmn) AS jours_evalues
    FROM j GROUP BY ALL
),
p AS (
    SELECT CAST(year(day) AS INTEGER) AS period, date_diff('day', min(day), max(day)) + 1 AS jours
    FROM ref('jours_capteurs') GROUP BY 1
)
SELECT 'commune' AS mesh, s.commune AS code, s.commune_nom AS libelle, s.period, avg(s.jours)::DOUBLE AS value,
       avg(s.jours_canicule)::DOUBLE AS jours_canicule, avg(s.jours_restriction)::DOUBLE AS jours_restriction,
       count(*) AS capteurs, 0.0 AS masked_share, 0.0 AS estimated_share,
       least(1.0, avg(s.jours_evalues) / any_value(p.jours)) AS completeness
FROM s JOIN p USING (period) GROUP BY s.commune, s.commune_nom, s.period
UNION ALL
SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), s.period,
       avg(s.jours)::DOUBLE, avg(s.jours_canicule)::DOUBLE, avg(s.jours_restriction)::DOUBLE, count(*), 0.0, 0.0,
       least(1.0, avg(s.jours_evalues) / any_value(p.jours))
FROM s JOIN p USING (period) GROUP BY s.period
