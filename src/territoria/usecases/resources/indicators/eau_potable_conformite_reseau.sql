-- Compliance per distribution network (UDI, first network of the sample), per year.
WITH s AS (
    SELECT code_reseau, nom_reseau, annee, 'bacteriologique' AS measure, conforme_bact AS conforme
    FROM ref('eau_potable_prelevements') WHERE code_reseau IS NOT NULL
    UNION ALL
    SELECT code_reseau, nom_reseau, annee, 'physico_chimique', conforme_pc
    FROM ref('eau_potable_prelevements') WHERE code_reseau IS NOT NULL
)
SELECT 'reseau' AS mesh, code_reseau AS code, coalesce(any_value(nom_reseau), code_reseau) AS libelle,
       annee AS period, measure,
       100 * count(*) FILTER (WHERE conforme) / nullif(count(conforme), 0) AS value,
       count(conforme) AS prelevements, count(*) FILTER (WHERE NOT conforme) AS non_conformes,
       0.0 AS masked_share, 0.0 AS estimated_share, count(conforme) / count(*) AS completeness
FROM s GROUP BY code_reseau, annee, measure
