-- Each commune's share (%) of the territory's consumption and emissions, all sectors and energies.
WITH c AS (SELECT * FROM ref('published.energie_cellules') WHERE sector = 'TOUS' AND energy = 'TOUTES'),
g AS (SELECT * FROM ref('published.ges_emissions') WHERE sector = 'TOUS' AND energy = 'TOUTES'),
m AS (
    SELECT mesh, code, libelle, period, 'consommation' AS measure, consumption_mwh AS v, masked_share,
           0.0 AS estimated_share, completeness, lower_bound, secret FROM c
    UNION ALL
    SELECT mesh, code, libelle, period, 'emissions', value, masked_share, estimated_share, completeness,
           lower_bound, secret FROM g
)
SELECT x.mesh, x.code, x.libelle, x.period, x.measure,
       CASE WHEN x.secret OR t.secret THEN NULL ELSE 100 * (x.v / nullif(t.v, 0)) END AS value,
       greatest(x.masked_share, t.masked_share) AS masked_share,
       greatest(x.estimated_share, t.estimated_share) AS estimated_share,
       x.completeness, x.lower_bound OR t.lower_bound AS lower_bound, x.secret OR t.secret AS secret
FROM m x JOIN m t ON t.mesh = param('territory.mesh') AND t.period = x.period AND t.measure = x.measure
WHERE x.mesh = 'commune'
