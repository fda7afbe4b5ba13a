-- DMA per inhabitant against the national trajectory (loi AGEC): from the reference year's value,
-- down by dechets_reduction_cible (0.15) in dechets_annee_cible (2030), linearly. Years without a
-- report have no value (completeness 0); without the reference year, there is no target.
WITH d AS (SELECT annee AS period, 1000 * tonnage_t / population AS value FROM ref('dechets_flux') WHERE flux = 'DMA'),
r AS (SELECT max(value) AS reference_value FROM d WHERE period = param('dechets_annee_reference')),
years AS (
    SELECT unnest(range(least(param('dechets_annee_reference'), (SELECT min(period) FROM d)),
                        greatest(param('dechets_annee_cible'), (SELECT max(period) FROM d)) + 1)) AS period
),
t AS (
    SELECT period,
           greatest(0.0, least(1.0, (period - param('dechets_annee_reference'))
                    / (param('dechets_annee_cible') - param('dechets_annee_reference')))) AS progress
    FROM years
)
SELECT param('territory.mesh') AS mesh, param('territory.code') AS code, param('territory.name') AS libelle, t.period, d.value,
       r.reference_value,
       r.reference_value * (1 - param('dechets_reduction_cible') * t.progress) AS target_value,
       100 * (d.value / (r.reference_value * (1 - param('dechets_reduction_cible') * t.progress)) - 1) AS ecart_pct,
       param('dechets_reduction_cible') AS target_reduction, param('dechets_annee_cible') AS target_year,
       0.0 AS masked_share, 0.0 AS estimated_share,
       CASE WHEN d.value IS NULL OR r.reference_value IS NULL THEN 0.0 ELSE 1.0 END AS completeness
FROM t CROSS JOIN r LEFT JOIN d USING (period)
ORDER BY t.period
