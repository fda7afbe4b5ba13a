-- Share of existing dwellings with a DPE labelled F or G ("passoires thermiques") among those
-- with a DPE. Only dwellings with a certificate are counted: the share describes the diagnosed
-- stock (sold or let since July 2021), not the whole stock. Communes under 10 certificates are
-- secret; the territory's share adds the published communes only (completeness: the share of
-- certificates it covers), so it cannot be differenced against them.
WITH c AS (SELECT * FROM ref('published.logements_communes'))
SELECT mesh, code, libelle, period, 100 * nb_dpe_f_g / nullif(nb_dpe, 0) AS value, nb_dpe,
       CASE WHEN secret THEN 1.0 ELSE 0.0 END AS masked_share, 0.0 AS estimated_share,
       CASE WHEN nb_dpe IS NULL THEN 0.0 ELSE 1.0 END AS completeness, secret
FROM c
UNION ALL
SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), max(period),
       100 * sum(nb_dpe_f_g) FILTER (WHERE NOT secret) / nullif(sum(nb_dpe) FILTER (WHERE NOT secret), 0),
       sum(nb_dpe) FILTER (WHERE NOT secret),
       coalesce(sum(nb_dpe) FILTER (WHERE secret) / nullif(sum(nb_dpe), 0), 0.0), 0.0,
       coalesce(sum(nb_dpe) FILTER (WHERE NOT secret) / nullif(sum(nb_dpe), 0), 0.0), false
FROM c HAVING count(*) > 0
