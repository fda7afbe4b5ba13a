-- Share of drinking-water samples compliant with the bacteriological and physico-chemical
-- quality limits, per year, by commune and for the territory. Completeness: the share of samples
-- with a conclusion on that limit.
WITH s AS (
    SELECT code, nom, annee, 'bacteriologique' AS measure, conforme_bact AS conforme FROM ref('eau_potable_prelevements')
    UNION ALL
    SELECT code, nom, annee, 'physico_chimique', conforme_pc FROM ref('eau_potable_prelevements')
)
SELECT 'commune' AS mesh, code, nom AS libelle, annee AS period, measure,
       100 * count(*) FILTER (WHERE conforme) / nullif(count(conforme), 0) AS value,
       count(conforme) AS prelevements, count(*) FILTER (WHERE NOT conforme) AS non_conformes,
       0.0 AS masked_share, 0.0 AS estimated_share, count(conforme) / count(*) AS completeness
FROM s GROUP BY code, nom, annee, measure
UNION ALL
SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), annee, measure,
       100 * count(*) FILTER (WHERE conforme) / nullif(count(conforme), 0), count(conforme),
       count(*) FILTER (WHERE NOT conforme), 0.0, 0.0, count(conforme) / count(*)
FROM s GROUP BY annee, measure
