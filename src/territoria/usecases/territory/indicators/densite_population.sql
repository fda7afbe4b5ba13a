-- The territory's surface is summed as DECIMAL(38, 6) (to the m²): exact, whatever the thread count.
WITH d AS (
    SELECT c.code, c.nom, c.population, s.surface_km2
    FROM ref('communes') AS c LEFT JOIN ref('surface_communes') AS s USING (code)
)
SELECT 'commune' AS mesh, code, nom AS libelle, param('population_year') AS period,
       population / surface_km2 AS value, 0.0 AS masked_share, 0.0 AS estimated_share,
       CASE WHEN surface_km2 IS NULL THEN 0.0 ELSE 1.0 END AS completeness
FROM d
UNION ALL
SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), param('population_year'),
       sum(population) FILTER (WHERE surface_km2 IS NOT NULL) / sum(surface_km2::DECIMAL(38, 6)), 0.0, 0.0,
       coalesce(sum(population) FILTER (WHERE surface_km2 IS NOT NULL) / nullif(sum(population), 0), 0.0)
FROM d
