-- Commune cells (sector x energy x year) of the Agence ORE file, for the territory's communes.
-- A cell masked by the producer ("s" in the API export; empty with a positive "Nombre de mailles
-- secretisées" in the national file) stays null with masked_input; a cell with only some
-- masked components (several NAF rows) is the sum of the known ones, flagged lower_bound.
-- Consumption is summed as DECIMAL(38, 6) (exact to the kWh/1000): a sum of doubles depends on
-- the order of addition, hence on the thread count, and published figures must not. The energy
-- models keep it exact and publish it as DOUBLE once, the same double for the same decimal.
-- Paris, Lyon and Marseille are the territory's communes; a file that gives them by arrondissement
-- (codes 75101...) is summed into the city, sector by sector: a sector the file also gives for the
-- city whole (that year and energy) is counted once, whole; a sector given by arrondissement only
-- is the sum of its arrondissements (a file may give the city whole for some sectors only).
-- other_*: the electricity rows of another operator than Enedis (a local distribution company such
-- as GreenAlp in Grenoble or Strasbourg Électricité Réseaux, RTE's directly connected sites), which
-- Enedis's IRIS file does not hold: the secrecy tie of secrecy.yaml between the two reads them.
WITH source AS (
    SELECT *, commune_of(code_commune) AS commune FROM ref('conso-elec-gaz-commune')
    WHERE commune_of(code_commune) IN (SELECT unnest(param('territory.communes')))
),
classified AS (
    SELECT
        commune AS code,
        code_commune = commune AS whole,
        annee AS period,
        CASE
            WHEN code_categorie_consommation = 'RES' THEN 'residentiel'
            WHEN code_categorie_consommation = 'PRO' THEN 'professionnel'
            WHEN code_grand_secteur = 'TERTIAIRE' THEN 'tertiaire'
            WHEN code_grand_secteur = 'INDUSTRIE' THEN 'industrie'
            WHEN code_grand_secteur = 'AGRICULTURE' THEN 'agriculture'
            ELSE 'non_affecte'
        END AS sector,
        CASE WHEN filiere = 'Gaz' THEN 'gaz' ELSE 'electricite' END AS energy,
        conso_totale_mwh,
        nb_sites,
        -- masked: "s", or left empty with masked meshes counted, or sites that consumed what is left empty
        conso_totale_mwh_secret OR nb_sites_secret
            OR (conso_totale_mwh IS NULL AND (coalesce(nombre_mailles_secretisees, 0) > 0 OR coalesce(nb_sites, 0) > 0))
            AS masked,
        -- by name whatever its case and spaces: an Enedis row taken for another operator's would untie the cells
        filiere <> 'Gaz' AND lower(trim(operateur)) <> 'enedis' AS other_operator
    FROM source
),
-- the whole rows as they are, and only the arrondissements' rows (a few) looked up among them: an
-- OR of the two made DuckDB mark-join every row against the whole rows on the four keys (-40 %
-- of this statement's CPU at 10 years, the same rows)
rows AS (
    SELECT * FROM classified WHERE whole
    UNION ALL
    SELECT * FROM classified AS s
    WHERE NOT whole AND NOT EXISTS (
        SELECT 1 FROM classified AS w
        WHERE w.whole AND w.code = s.code AND w.period = s.period AND w.energy = s.energy AND w.sector = s.sector
    )
)
SELECT
    code,
    period,
    sector,
    energy,
    sum(conso_totale_mwh::DECIMAL(38, 6)) FILTER (WHERE NOT masked) AS consumption_mwh,
    sum(nb_sites) FILTER (WHERE NOT masked) AS nb_sites,
    count(*) FILTER (WHERE masked) AS masked_components,
    count(*) AS components,
    count(*) FILTER (WHERE other_operator) AS other_components,
    count(*) FILTER (WHERE other_operator AND masked) AS other_masked,
    sum(nb_sites) FILTER (WHERE other_operator AND NOT masked) AS other_sites
FROM rows
GROUP BY ALL
