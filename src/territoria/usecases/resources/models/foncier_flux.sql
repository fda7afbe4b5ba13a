-- One row per commune and year of the Cerema file: NAF land consumed during the year (1 January
-- of `annee` to 1 January of the next), in m², and its split by destination.
-- The unpivots are parts: foncier_flux.postgres.sql replaces them (the rest runs on both as it is).
WITH naf AS (
    -- territoria:part naf
    UNPIVOT (SELECT idcom, COLUMNS('^naf[0-9]{2}art[0-9]{2}$') FROM ref('consommation-espaces-naf'))
    ON COLUMNS('^naf[0-9]{2}art[0-9]{2}$') INTO NAME colonne VALUE naf_m2
    -- territoria:end
),
dest AS (
    -- territoria:part dest
    UNPIVOT (SELECT idcom, COLUMNS('^art[0-9]{2}(hab|act|mix|rou|fer|inc)[0-9]{2}$') FROM ref('consommation-espaces-naf'))
    ON COLUMNS('^art[0-9]{2}(hab|act|mix|rou|fer|inc)[0-9]{2}$') INTO NAME colonne VALUE m2
    -- territoria:end
),
yearly AS (
    -- nafAAartBB with BB = AA + 1 only: the multi-year columns (naf11art21) are sums of these
    SELECT idcom, 2000 + CAST(substr(colonne, 4, 2) AS INTEGER) AS annee, naf_m2
    FROM naf WHERE CAST(substr(colonne, 9, 2) AS INTEGER) = CAST(substr(colonne, 4, 2) AS INTEGER) + 1
),
split AS (
    SELECT idcom, 2000 + CAST(substr(colonne, 4, 2) AS INTEGER) AS annee,
           sum(m2) FILTER (WHERE substr(colonne, 6, 3) = 'hab') AS habitat_m2,
           sum(m2) FILTER (WHERE substr(colonne, 6, 3) = 'act') AS activite_m2,
           sum(m2) FILTER (WHERE substr(colonne, 6, 3) = 'mix') AS mixte_m2,
           sum(m2) FILTER (WHERE substr(colonne, 6, 3) IN ('rou', 'fer')) AS infrastructures_m2,
           sum(m2) FILTER (WHERE substr(colonne, 6, 3) = 'inc') AS inconnu_m2
    FROM dest
    WHERE CAST(substr(colonne, 9, 2) AS INTEGER) = CAST(substr(colonne, 4, 2) AS INTEGER) + 1
    GROUP BY 1, 2
)
SELECT y.idcom AS code, c.nom, y.annee, y.naf_m2, s.habitat_m2, s.activite_m2, s.mixte_m2,
       s.infrastructures_m2, s.inconnu_m2
FROM yearly AS y
JOIN ref('communes') AS c ON c.code = y.idcom
LEFT JOIN split AS s USING (idcom, annee)
ORDER BY code, annee
