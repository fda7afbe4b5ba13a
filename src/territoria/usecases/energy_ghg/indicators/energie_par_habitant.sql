-- Consumption per inhabitant (MWh/hab), all sectors, by energy. The population is the municipal
-- population of `population_year` for every year: values of other years are flagged estimated.
WITH pop AS (
    SELECT code, population FROM ref('communes')
    UNION ALL
    SELECT param('territory.code'), sum(population) FROM ref('communes')
)
SELECT c.mesh, c.code, c.libelle, c.period, c.energy,
       c.consumption_mwh / nullif(p.population, 0) AS value,
       c.masked_share,
       CASE WHEN c.period = param('population_year') THEN 0.0 ELSE 1.0 END AS estimated_share,
       c.completeness, c.lower_bound, c.secret
FROM ref('published.energie_cellules') c JOIN pop p USING (code)
WHERE c.sector = 'TOUS'
