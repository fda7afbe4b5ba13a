-- Per sensor: mean over the complete nights of (sensor night mean − rural reference night mean).
-- Means of temperatures add them as DECIMAL(38, 9): exact, so they do not depend on the thread count.
WITH p AS (SELECT strftime(min(nuit), '%Y-%m-%d') || '/' || strftime(max(nuit), '%Y-%m-%d') AS period,
                  count(DISTINCT nuit) AS nuits FROM ref('nuits_capteurs'))
SELECT 'capteur' AS mesh, n.thing AS code, n.thing || ' (' || coalesce(n.commune_nom, 'hors territoire') || ')' AS libelle,
       p.period, avg(n.ecart::DECIMAL(38, 9)) AS value, n.commune,
       count(n.ecart) AS nuits_completes,
       'nuit ' || param('nuit_debut') || 'h–' || param('nuit_fin') || 'h heure locale, capteur − référence rurale, '
           || 'nuits d''au moins ' || param('nuit_heures_min') || ' heures' AS methode,
       0.0 AS masked_share, 0.0 AS estimated_share, count(n.ecart) / p.nuits AS completeness
FROM ref('nuits_capteurs') AS n, p
WHERE NOT n.reference
GROUP BY n.thing, n.commune, n.commune_nom, p.period, p.nuits
