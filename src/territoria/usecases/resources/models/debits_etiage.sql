-- Daily mean flows (QmnJ) of the territory's hydrometric stations with each station's low-water
-- threshold: the one the territory declared (seuil_etiage_l_s), otherwise the etiage_quantile
-- percentile of all the station's daily flows in the file (seuil_origine says which).
WITH q AS (
    SELECT o.code_station, o.date_obs_elab AS jour, o.resultat_obs_elab AS debit_l_s
    FROM ref('debits-cours-eau') AS o
    WHERE o.grandeur_hydro_elab = 'QmnJ' AND o.resultat_obs_elab IS NOT NULL
),
p AS (
    SELECT code_station, quantile_cont(debit_l_s, CAST(param('etiage_quantile') AS DOUBLE)) AS seuil_percentile
    FROM q GROUP BY code_station
)
SELECT s.code_station, s.libelle_station, s.libelle_cours_eau, s.code_commune_station AS commune, c.nom AS commune_nom,
       q.jour, q.debit_l_s, coalesce(s.seuil_etiage_l_s, p.seuil_percentile) AS seuil_l_s,
       CASE WHEN s.seuil_etiage_l_s IS NOT NULL THEN 'declare' ELSE 'percentile' END AS seuil_origine,
       q.debit_l_s < coalesce(s.seuil_etiage_l_s, p.seuil_percentile) AS sous_seuil
FROM ref('stations-hydrometrie') AS s
JOIN ref('communes') AS c ON c.code = s.code_commune_station
JOIN q USING (code_station)
JOIN p USING (code_station)
ORDER BY s.code_station, q.jour
