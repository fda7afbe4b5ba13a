-- Météo-France stations of the daily file, with their commune and role. A station's number starts
-- with the INSEE code of its commune (Météo-France's numbering): a station is in the territory when
-- that commune is. The reference station is the territory's choice (station_reference); every
-- other station of the territory is compared with it. Météo-France numbers Corsica's stations as
-- before 1976, département 20 (Ajaccio is 20004002): INSEE's number of a Corsican commune is unique
-- across 2A and 2B, so 20004 is whichever of 2A004 and 2B004 exists (the territory's, if any).
WITH s AS (
    SELECT NUM_POSTE AS station, any_value(NOM_USUEL) AS nom, any_value(LAT) AS lat, any_value(LON) AS lon,
           any_value(ALTI) AS altitude, min(AAAAMMJJ) AS premier_jour, max(AAAAMMJJ) AS dernier_jour
    FROM ref('stations-meteo-quotidien')
    GROUP BY NUM_POSTE
)
SELECT s.station, s.nom, s.lat, s.lon, s.altitude, c.code AS commune, c.nom AS commune_nom,
       CASE WHEN s.station = CAST(param('station_reference') AS VARCHAR) THEN 'reference'
            WHEN c.code IS NOT NULL THEN 'urbain'
            ELSE 'hors_territoire' END AS role,
       s.premier_jour, s.dernier_jour
FROM s
LEFT JOIN ref('communes') AS c ON c.code = commune_of(left(s.station, 5))  -- Paris-Montsouris is 75114001
    OR (left(s.station, 2) = '20' AND c.code IN ('2A' || substr(s.station, 3, 3), '2B' || substr(s.station, 3, 3)))
ORDER BY s.station
