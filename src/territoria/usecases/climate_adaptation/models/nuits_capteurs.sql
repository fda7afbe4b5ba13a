-- A night is named by the local date of its evening: hours nuit_debut..23 of day D and 0..nuit_fin-1 of D+1.
-- Its mean is the mean of the hourly means (each hour weighs the same, whatever the number of readings).
-- Means of temperatures add them as DECIMAL(38, 9): exact, so they do not depend on the thread count.
WITH h AS (
    SELECT datastream, local_hour, mean,
           CASE WHEN local_hour >= param('nuit_debut') THEN local_date ELSE local_date - 1 END AS nuit
    FROM ref('capteurs-temperature-horaire')
    WHERE local_hour >= param('nuit_debut') OR local_hour < param('nuit_fin')
),
n AS (
    SELECT datastream, nuit, avg(mean::DECIMAL(38, 9)) AS t_nuit, count(*) AS heures FROM h GROUP BY ALL
),
ref_nuits AS (
    SELECT n.nuit, avg(n.t_nuit::DECIMAL(38, 9)) AS t_reference, min(n.heures) AS heures_reference
    FROM n JOIN ref('capteurs_temperature') AS s USING (datastream)
    WHERE s.reference GROUP BY ALL
)
SELECT n.datastream, s.thing, s.commune, s.commune_nom, s.reference, n.nuit, n.t_nuit, n.heures,
       r.t_reference, r.heures_reference,
       CASE WHEN n.heures >= param('nuit_heures_min') AND r.heures_reference >= param('nuit_heures_min')
            THEN n.t_nuit - r.t_reference END AS ecart
FROM n JOIN ref('capteurs_temperature') AS s USING (datastream)
LEFT JOIN ref_nuits AS r USING (nuit)
ORDER BY n.datastream, n.nuit
