-- SINOE déchèterie tonnages of the territory's départements per inhabitant (kg/hab), by waste type
-- and in total. The population is the referential's single vintage: other years are estimates.
SELECT 'departement' AS mesh, departement AS code, departement_nom AS libelle, annee AS period,
       CASE code_type WHEN 'TOTAL' THEN 'TOTAL' ELSE type_dechet END AS flux, code_type,
       1000 * tonnage_t / nullif(population, 0) AS value, tonnage_t, population, population_annee,
       0.0 AS masked_share,
       CASE WHEN annee = population_annee THEN 0.0 ELSE 1.0 END AS estimated_share,
       CASE WHEN population IS NULL THEN 0.0 ELSE 1.0 END AS completeness
FROM ref('decheteries_sinoe')
