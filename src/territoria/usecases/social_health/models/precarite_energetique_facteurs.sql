-- Inputs of the fuel-poverty proxies per commune and for the territory, for the Filosofi year:
-- residential electricity and gas (published, protected energy cells: secret and lower bounds
-- carried), fiscal households and persons, D1 (published Filosofi cells), and the share of
-- electric heating Agence ORE gives with its residential rows.
WITH e AS (
    SELECT mesh, code, consumption_mwh, secret, lower_bound, masked_share, completeness
    FROM ref('published.energie_cellules')
    WHERE sector = 'residentiel' AND energy = 'TOUTES' AND period = param('filosofi_millesime')
),
e_elec AS (
    SELECT mesh, code, consumption_mwh AS elec_mwh, secret AS elec_secret FROM ref('published.energie_cellules')
    WHERE sector = 'residentiel' AND energy = 'electricite' AND period = param('filosofi_millesime')
),
e_gaz AS (
    SELECT mesh, code, consumption_mwh AS gaz_mwh, secret AS gaz_secret FROM ref('published.energie_cellules')
    WHERE sector = 'residentiel' AND energy = 'gaz' AND period = param('filosofi_millesime')
),
f AS (
    SELECT code, max(nb_menages) AS menages, max(nb_personnes) AS personnes,
           max(value) FILTER (WHERE measure = 'd1') AS d1, bool_or(secret) FILTER (WHERE measure = 'd1') AS d1_secret
    FROM ref('published.filosofi_cellules') WHERE mesh = 'commune' GROUP BY code
),
-- every row of a commune repeats its share; Paris, Lyon and Marseille may be given by arrondissement
-- (75101...): the city's own share when the file gives it, else its arrondissements' weighted by
-- their inhabitants
chauffage_par_code AS (
    SELECT code_commune, commune_of(code_commune) AS code, max(taux_de_chauffage_electrique) AS taux,
           max(nombre_d_habitants) AS habitants
    FROM ref('conso-elec-gaz-commune') WHERE annee = param('filosofi_millesime') GROUP BY code_commune
),
chauffage AS (
    SELECT code, coalesce(
               max(taux) FILTER (WHERE code_commune = code),
               sum(taux * habitants) / nullif(sum(habitants) FILTER (WHERE taux IS NOT NULL), 0)
           ) AS taux_chauffage_electrique
    FROM chauffage_par_code GROUP BY code
),
territoire AS (SELECT param('territory.code') AS code)
SELECT 'commune' AS mesh, c.code, c.nom AS libelle, param('filosofi_millesime') AS period, f.menages, f.personnes,
       f.d1, coalesce(f.d1_secret, false) AS d1_secret, e.consumption_mwh AS conso_mwh, e_elec.elec_mwh, e_gaz.gaz_mwh,
       coalesce(e.secret, false) OR coalesce(e_elec.elec_secret, false) OR coalesce(e_gaz.gaz_secret, false) AS conso_secret,
       coalesce(e.secret, false) AS total_secret, coalesce(e.lower_bound, false) AS lower_bound,
       ch.taux_chauffage_electrique
FROM ref('communes') AS c
LEFT JOIN f USING (code) LEFT JOIN e ON e.mesh = 'commune' AND e.code = c.code
LEFT JOIN e_elec ON e_elec.mesh = 'commune' AND e_elec.code = c.code
LEFT JOIN e_gaz ON e_gaz.mesh = 'commune' AND e_gaz.code = c.code
LEFT JOIN chauffage AS ch ON ch.code = c.code
UNION ALL
SELECT param('territory.mesh'), t.code, param('territory.name'), param('filosofi_millesime'),
       -- BIGINT as the commune rows: a sum of BIGINTs is a HUGEINT, which GDAL (GeoJSON) cannot write
       (SELECT sum(menages)::BIGINT FROM f), (SELECT sum(personnes)::BIGINT FROM f), NULL, false,
       e.consumption_mwh, e_elec.elec_mwh, e_gaz.gaz_mwh,
       coalesce(e.secret, false) OR coalesce(e_elec.elec_secret, false) OR coalesce(e_gaz.gaz_secret, false),
       coalesce(e.secret, false), coalesce(e.lower_bound, false), NULL
FROM territoire AS t
LEFT JOIN e ON e.mesh <> 'commune' AND e.code = t.code
LEFT JOIN e_elec ON e_elec.mesh <> 'commune' AND e_elec.code = t.code
LEFT JOIN e_gaz ON e_gaz.mesh <> 'commune' AND e_gaz.code = t.code
