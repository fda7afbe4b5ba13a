-- Territory emissions against the climate-plan trajectory: from the reference year's emissions
-- to (1 - climate_target_reduction) of them in climate_target_year, linear or at a constant
-- yearly rate (climate_trajectory_shape: linear | geometric). gap_pct > 0 means above target.
WITH e AS (
    SELECT * FROM ref('published.ges_emissions') WHERE mesh = param('territory.mesh') AND sector = 'TOUS' AND energy = 'TOUTES'
),
r AS (SELECT max(value) AS ref_value FROM e WHERE period = param('climate_reference_year')),
years AS (
    SELECT unnest(range(param('climate_reference_year'),
                        greatest(param('climate_target_year'), (SELECT max(period) FROM e)) + 1)) AS period
),
t AS (
    SELECT y.period,
           least(1.0, (y.period - param('climate_reference_year'))
                 / (param('climate_target_year') - param('climate_reference_year'))) AS progress
    FROM years y
)
SELECT param('territory.mesh') AS mesh, param('territory.code') AS code,
       param('territory.name') AS libelle, t.period, e.value,
       r.ref_value AS reference_value,
       CASE param('climate_trajectory_shape')
           WHEN 'geometric' THEN r.ref_value * pow(1 - param('climate_target_reduction'), t.progress)
           ELSE r.ref_value * (1 - param('climate_target_reduction') * t.progress)
       END AS target_value,
       param('climate_target_reduction') AS target_reduction, param('climate_target_year') AS target_year,
       coalesce(e.masked_share, 0.0) AS masked_share, coalesce(e.estimated_share, 0.0) AS estimated_share,
       CASE WHEN e.period IS NULL THEN 0.0 ELSE e.completeness END AS completeness,
       coalesce(e.lower_bound, false) AS lower_bound, coalesce(e.secret, false) AS secret,
       e.emission_factor_version
FROM t CROSS JOIN r LEFT JOIN e USING (period)
