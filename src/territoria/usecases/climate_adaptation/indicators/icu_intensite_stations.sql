-- Per Météo-France station of the territory and month: mean, over the days both it and the
-- reference station measured, of (its daily minimum − the reference's): the nocturnal heat island
-- read on daily minima; the same difference on maxima is kept beside it.
WITH r AS (SELECT day, tmin AS tmin_ref, tmax AS tmax_ref FROM ref('stations_meteo_jours') WHERE role = 'reference'),
d AS (
    SELECT j.station, j.nom, j.commune, strftime(j.day, '%Y-%m') AS period, j.day,
           j.tmin - r.tmin_ref AS ecart_tmin, j.tmax - r.tmax_ref AS ecart_tmax
    FROM ref('stations_meteo_jours') AS j JOIN r USING (day)
    WHERE j.role = 'urbain'
)
SELECT 'station' AS mesh, station AS code, nom || ' (station Météo-France)' AS libelle, period,
       avg(ecart_tmin::DECIMAL(38, 9)) AS value, avg(ecart_tmax::DECIMAL(38, 9)) AS ecart_tmax, commune,
       CAST(param('station_reference') AS VARCHAR) AS station_reference, count(ecart_tmin) AS jours_complets,
       0.0 AS masked_share, 0.0 AS estimated_share,
       count(ecart_tmin) / day(last_day(min(day))) AS completeness
FROM d
GROUP BY station, nom, commune, period
HAVING count(ecart_tmin) > 0
