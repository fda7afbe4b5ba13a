-- Daily minimum, maximum and mean temperature of every Météo-France station, with its role.
SELECT q.NUM_POSTE AS station, s.nom, s.commune, s.commune_nom, s.role, q.AAAAMMJJ AS day,
       q.TN AS tmin, q.TX AS tmax, q.TM AS tmoy
FROM ref('stations-meteo-quotidien') AS q
JOIN ref('stations_meteo') AS s ON s.station = q.NUM_POSTE
ORDER BY station, day
