-- Per Météo-France station of the territory and month: mean over the complete nights (both
-- stations with at least nuit_heures_min hours) of (its night mean − the reference's night mean).
WITH r AS (
    SELECT nuit, t_nuit AS t_reference FROM ref('stations_meteo_nuits')
    WHERE role = 'reference' AND heures >= param('nuit_heures_min')
),
n AS (
    SELECT s.station, s.nom, s.commune, strftime(s.nuit, '%Y-%m') AS period, s.nuit, s.t_nuit - r.t_reference AS ecart
    FROM ref('stations_meteo_nuits') AS s JOIN r USING (nuit)
    WHERE s.role = 'urbain' AND s.heures >= param('nuit_heures_min')
)
SELECT 'station' AS mesh, station AS code, nom || ' (station Météo-France)' AS libelle, period,
       avg(ecart::DECIMAL(38, 9)) AS value, commune, count(*) AS nuits_completes,
       CAST(param('station_reference') AS VARCHAR) AS station_reference,
       0.0 AS masked_share, 0.0 AS estimated_share, count(*) / day(last_day(min(nuit))) AS completeness
FROM n
GROUP BY station, nom, commune, period
