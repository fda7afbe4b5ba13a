-- Night means of the Météo-France stations' hourly temperatures, on the sensors' nights: a night
-- is named by the local date of its evening, hours nuit_debut..23 of day D and 0..nuit_fin-1 of
-- D+1. The file's hours (AAAAMMJJHH) are UTC: converted to the legal time of the station's place
-- (Europe/Paris, Indian/Reunion for 974xxxxx...: local_time, reference/timezones.py).
-- Means of temperatures add them as DECIMAL(38, 9): exact, so they do not depend on the thread count.
WITH h AS (
    SELECT NUM_POSTE AS station,
           local_time(timezone('UTC', strptime(AAAAMMJJHH, '%Y%m%d%H')), NUM_POSTE) AS t_local, T AS t
    FROM ref('stations-meteo-horaire')
    WHERE T IS NOT NULL
),
l AS (SELECT station, CAST(t_local AS DATE) AS d, hour(t_local) AS heure, t FROM h),
n AS (
    SELECT station, CASE WHEN heure >= param('nuit_debut') THEN d ELSE d - 1 END AS nuit,
           avg(t::DECIMAL(38, 9)) AS t_nuit, count(*) AS heures
    FROM l
    WHERE heure >= param('nuit_debut') OR heure < param('nuit_fin')
    GROUP BY ALL
)
SELECT n.station, s.nom, s.commune, s.role, n.nuit, n.t_nuit, n.heures
FROM n JOIN ref('stations_meteo') AS s USING (station)
ORDER BY n.station, n.nuit
