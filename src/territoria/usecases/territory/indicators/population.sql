SELECT 'commune' AS mesh, code, nom AS libelle, param('population_year') AS period,
       population::DOUBLE AS value, 0.0 AS masked_share,
       CASE WHEN population_from_referential THEN 1.0 ELSE 0.0 END AS estimated_share, 1.0 AS completeness
FROM ref('communes')
UNION ALL
SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), param('population_year'),
       sum(population)::DOUBLE, 0.0,
       coalesce(sum(population) FILTER (WHERE population_from_referential) / nullif(sum(population), 0), 0.0),
       1.0
FROM ref('communes')
