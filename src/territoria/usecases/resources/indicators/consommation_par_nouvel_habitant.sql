-- Land consumption and population growth (cross-use-case): m² of NAF land consumed from 1 January
-- 2013 to 1 January 2019 per additional inhabitant between the 2013 and 2019 censuses. A commune
-- whose population did not grow has no value (consumption without growth), flagged.
SELECT 'commune' AS mesh, code, nom AS libelle, '2013-2019' AS period,
       CASE WHEN pop_2013_2019 > 0 THEN naf_2013_2019_m2 / pop_2013_2019 END AS value,
       naf_2013_2019_m2 / 1e4 AS consommation_ha, pop_2013_2019 AS evolution_population,
       pop_2013_2019 <= 0 AS population_sans_croissance,
       0.0 AS masked_share, 0.0 AS estimated_share, CASE WHEN pop_2013_2019 > 0 THEN 1.0 ELSE 0.0 END AS completeness
FROM ref('foncier_communes')
UNION ALL
SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), '2013-2019',
       CASE WHEN sum(pop_2013_2019) > 0 THEN sum(naf_2013_2019_m2) / sum(pop_2013_2019) END,
       sum(naf_2013_2019_m2) / 1e4, sum(pop_2013_2019), coalesce(sum(pop_2013_2019) <= 0, true),
       0.0, 0.0, count(pop_2013_2019) / count(*)
FROM ref('foncier_communes')
