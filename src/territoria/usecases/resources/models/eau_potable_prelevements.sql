-- One row per sample of the sanitary control (Hub'Eau gives one row per analysed parameter):
-- its commune, first distribution network (UDI) and conclusions on the quality limits.
-- Compliance per limit: C compliant, D under derogation (counted compliant, as the ARS reports
-- it), N not compliant; S (no conclusion) and missing are not evaluated.
WITH s AS (
    SELECT code_prelevement, code_commune,
           any_value(nom_commune) AS nom_commune, min(date_prelevement) AS date_prelevement,
           any_value(reseaux) AS reseaux,
           CASE WHEN bool_or(conformite_limites_bact_prelevement = 'N') THEN false
                WHEN bool_or(conformite_limites_bact_prelevement IN ('C', 'D')) THEN true END AS conforme_bact,
           CASE WHEN bool_or(conformite_limites_pc_prelevement = 'N') THEN false
                WHEN bool_or(conformite_limites_pc_prelevement IN ('C', 'D')) THEN true END AS conforme_pc
    FROM ref('eau-potable-resultats')
    GROUP BY code_prelevement, code_commune
)
SELECT s.code_prelevement, s.code_commune AS code, c.nom, CAST(year(s.date_prelevement) AS INTEGER) AS annee,
       s.date_prelevement,
       json_extract_string(s.reseaux, '$[0].code') AS code_reseau,
       json_extract_string(s.reseaux, '$[0].nom') AS nom_reseau,
       s.conforme_bact, s.conforme_pc
FROM s JOIN ref('communes') AS c ON c.code = s.code_commune
ORDER BY s.code_prelevement
