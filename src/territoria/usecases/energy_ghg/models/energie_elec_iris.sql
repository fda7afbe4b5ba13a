-- Electricity by IRIS re-aggregated to communes and the territory (IRIS -> commune -> EPCI).
-- IRIS cells masked by Enedis stay masked; every sum over them is the sum of the known cells,
-- a lower bound flagged lower_bound with the share of masked components: nothing is un-masked.
-- Sums are exact (DECIMAL(38, 6)), so that they do not depend on the thread count.
-- Enedis names an IRIS of Paris, Lyon or Marseille by its arrondissement: the commune is the city
-- The PostgreSQL variant (energie_elec_iris.postgres.sql) replaces the two parts below.
WITH wide AS (
    -- territoria:part communes
    SELECT * FROM ref('conso-elec-iris') WHERE commune_of(code_commune) IN (SELECT unnest(param('territory.communes')))
    -- territoria:end
),
leaves AS (
    -- territoria:part sectors
    -- every sector of every row, null values included (INCLUDE NULLS): a masked cell stays a
    -- (masked) component; a cell is masked when its count or its consumption is ("s"): either
    -- leaves the value unknown
    SELECT * EXCLUDE (masked_sites, masked_mwh), masked_sites OR masked_mwh AS masked
    FROM wide UNPIVOT INCLUDE NULLS ((nb_sites, consumption_mwh, masked_sites, masked_mwh) FOR sector IN (
        (nb_sites_residentiel, conso_totale_residentiel_mwh, nb_sites_residentiel_secret, conso_totale_residentiel_mwh_secret) AS residentiel,
        (nb_sites_professionnel, conso_totale_professionnel_mwh, nb_sites_professionnel_secret, conso_totale_professionnel_mwh_secret) AS professionnel,
        (nb_sites_agriculture, conso_totale_agriculture_mwh, nb_sites_agriculture_secret, conso_totale_agriculture_mwh_secret) AS agriculture,
        (nb_sites_industrie, conso_totale_industrie_mwh, nb_sites_industrie_secret, conso_totale_industrie_mwh_secret) AS industrie,
        (nb_sites_tertiaire, conso_totale_tertiaire_mwh, nb_sites_tertiaire_secret, conso_totale_tertiaire_mwh_secret) AS tertiaire,
        (nb_sites_secteur_non_affecte, conso_totale_secteur_non_affecte_mwh, nb_sites_secteur_non_affecte_secret, conso_totale_secteur_non_affecte_mwh_secret)
            AS non_affecte
    ))
    -- territoria:end
),
known AS (
    -- an empty cell (professionnel before 2018) is not a component; a masked one is, and so is
    -- one whose sites consumed what the file leaves empty (the value is unknown)
    SELECT code_iris, commune_of(code_commune) AS code_commune, annee AS period, sector, consumption_mwh, nb_sites,
           masked OR (consumption_mwh IS NULL AND coalesce(nb_sites, 0) > 0) AS masked
    FROM leaves WHERE masked OR consumption_mwh IS NOT NULL OR coalesce(nb_sites, 0) > 0
),
territory AS (SELECT param('territory.code') AS code),
cube AS (
    SELECT
        CASE WHEN grouping(code_iris) = 0 THEN 'iris' WHEN grouping(code_commune) = 0 THEN 'commune' ELSE param('territory.mesh') END
            AS mesh,
        coalesce(code_iris, code_commune, (SELECT code FROM territory)) AS code,
        CASE
            WHEN grouping(code_iris) = 0 THEN code_commune
            WHEN grouping(code_commune) = 0 THEN (SELECT code FROM territory)
        END AS parent_code,
        period,
        coalesce(sector, 'TOUS') AS sector,
        sum(consumption_mwh::DECIMAL(38, 6)) FILTER (WHERE NOT masked)::DOUBLE PRECISION AS consumption_mwh,
        sum(nb_sites) FILTER (WHERE NOT masked)::BIGINT AS nb_sites,
        count(*) FILTER (WHERE masked) AS masked_components,
        count(*) AS components
    FROM known
    GROUP BY GROUPING SETS (
        (code_iris, code_commune, period, sector), (code_iris, code_commune, period),
        (code_commune, period, sector), (code_commune, period), (period, sector), (period)
    )
)
SELECT
    mesh,
    code,
    parent_code,
    period,
    sector,
    consumption_mwh,
    nb_sites,
    consumption_mwh IS NULL AS masked_input,
    consumption_mwh IS NOT NULL AND masked_components > 0 AS lower_bound,
    masked_components::DOUBLE PRECISION / components AS masked_share
FROM cube
ORDER BY mesh, code, sector, period
