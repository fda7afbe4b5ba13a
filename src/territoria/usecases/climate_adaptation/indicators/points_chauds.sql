-- Means of temperatures add them as DECIMAL(38, 9): exact, so they do not depend on the thread count.
WITH s AS (
    SELECT thing, commune, commune_nom, avg(tmax::DECIMAL(38, 9)) AS tmax_moy, count(*) AS jours
    FROM ref('jours_capteurs') GROUP BY ALL
),
p AS (SELECT strftime(min(day), '%Y-%m-%d') || '/' || strftime(max(day), '%Y-%m-%d') AS period,
             date_diff('day', min(day), max(day)) + 1 AS jours FROM ref('jours_capteurs'))
SELECT 'capteur' AS mesh, s.thing AS code, s.thing || ' (' || coalesce(s.commune_nom, 'hors territoire') || ')' AS libelle,
       p.period, s.tmax_moy AS value, s.commune, rank() OVER (ORDER BY s.tmax_moy DESC) AS rang,
       0.0 AS masked_share, 0.0 AS estimated_share, s.jours / p.jours AS completeness
FROM s, p
