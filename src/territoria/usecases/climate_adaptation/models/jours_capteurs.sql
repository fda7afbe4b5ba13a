-- Daily statistics per temperature sensor, with Météo-France's IBM (3-day running means of Tmin and Tmax).
-- A running mean is defined only when the three consecutive days are all present (date_diff: a
-- number of days on every engine, where a difference of dates is an interval on some).
-- Means of temperatures add them as DECIMAL(38, 9): exact, so they do not depend on the thread count.
WITH d AS (
    SELECT j.datastream, s.thing, s.commune, s.commune_nom, s.reference, j.day, j.min AS tmin, j.mean AS tmoy,
           j.max AS tmax, j.hours
    FROM ref('capteurs-temperature-journalier') AS j
    JOIN ref('capteurs_temperature') AS s USING (datastream)
    WHERE j.hours >= 20
)
SELECT *,
       CASE WHEN count(*) OVER w = 3 AND date_diff('day', min(day) OVER w, max(day) OVER w) = 2 THEN avg(tmin::DECIMAL(38, 9)) OVER w END AS ibmn,
       CASE WHEN count(*) OVER w = 3 AND date_diff('day', min(day) OVER w, max(day) OVER w) = 2 THEN avg(tmax::DECIMAL(38, 9)) OVER w END AS ibmx
FROM d
WINDOW w AS (PARTITION BY datastream ORDER BY day ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)
ORDER BY datastream, day
