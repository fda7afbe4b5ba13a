-- PostgreSQL variant of foncier_flux.sql (sqlglot cannot translate DuckDB's UNPIVOT over
-- COLUMNS('regex')): the columns are unpivoted through each row's JSON; keep both in step.
-- One row per commune and year of the Cerema file: NAF land consumed during the year (1 January
-- of `annee` to 1 January of the next), in m², and its split by destination.
WITH wide AS (SELECT * FROM ref('consommation-espaces-naf')),
naf AS (
    SELECT w.idcom, kv.key AS colonne, kv.value::DOUBLE PRECISION AS naf_m2
    FROM wide AS w CROSS JOIN LATERAL jsonb_each_text(to_jsonb(w)) AS kv
    WHERE kv.key ~ '^naf[0-9]{2}art[0-9]{2}$' AND kv.value IS NOT NULL
),
dest AS (
    SELECT w.idcom, kv.key AS colonne, kv.value::DOUBLE PRECISION AS m2
    FROM wide AS w CROSS JOIN LATERAL jsonb_each_text(to_jsonb(w)) AS kv
    WHERE kv.key ~ '^art[0-9]{2}(hab|act|mix|rou|fer|inc)[0-9]{2}$' AND kv.value IS NOT NULL
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
