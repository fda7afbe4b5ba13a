-- Per urban sensor and month: mean, over the days both it and the Météo-France reference station
-- measured, of (the sensor's daily minimum − the station's): sensors and weather stations paired.
WITH r AS (SELECT day, tmin AS tmin_ref FROM ref('stations_meteo_jours') WHERE role = 'reference'),
d AS (
    SELECT c.thing, c.commune, c.commune_nom, strftime(c.day, '%Y-%m') AS period, c.day, c.tmin - r.tmin_ref AS ecart
    FROM ref('jours_capteurs') AS c JOIN r USING (day)
    WHERE NOT c.reference
)
SELECT 'capteur' AS mesh, thing AS code, thing || ' (' || coalesce(commune_nom, 'hors territoire') || ')' AS libelle,
       period, avg(ecart::DECIMAL(38, 9)) AS value, commune,
       CAST(param('station_reference') AS VARCHAR) AS station_reference, count(ecart) AS jours_complets,
       0.0 AS masked_share, 0.0 AS estimated_share,
       count(ecart) / day(last_day(min(day))) AS completeness
FROM d
GROUP BY thing, commune, commune_nom, period
