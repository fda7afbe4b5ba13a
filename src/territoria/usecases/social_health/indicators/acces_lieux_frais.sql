-- Communes without a boundary have no value (completeness 0).
SELECT 'commune' AS mesh, code, nom AS libelle, param('lieux_frais_millesime') AS period, 100 * part_couverte AS value,
       nb_lieux AS lieux_frais, distance_m, 0.0 AS masked_share, 0.0 AS estimated_share,
       CASE WHEN part_couverte IS NULL THEN 0.0 ELSE 1.0 END AS completeness
FROM ref('lieux_frais_couverture')
