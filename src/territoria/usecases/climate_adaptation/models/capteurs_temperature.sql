-- Temperature sensors with their commune's name; the rural reference is flagged by its role.
SELECT s.datastream, s.thing, s.commune, c.nom AS commune_nom, s.role,
       s.role = 'reference_rurale' AS reference, s.lon, s.lat, s.profile, s.dev_eui
FROM ref('capteurs-reseau') AS s
LEFT JOIN ref('communes') AS c ON c.code = s.commune
WHERE s.quantity = 'temperature'
ORDER BY s.datastream
