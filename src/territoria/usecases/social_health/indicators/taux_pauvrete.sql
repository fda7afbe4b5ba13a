-- Poverty rate at 60 % of the national median (persons), as INSEE published it by commune and
-- IRIS. For the territory: the mean of the published commune rates weighted by the persons of
-- their fiscal households. The threshold is national, so this is the territory's rate over the
-- communes it covers (INSEE rounds rates to the unit: the result is estimated to ±0.5 point).
-- Communes whose rate is secret are left out, never estimated: the aggregate holds published
-- cells only, so nothing can be recovered by differencing; completeness is the share of persons
-- covered, masked_share the share of persons in communes whose rate is secret.
WITH c AS (SELECT * FROM ref('published.filosofi_cellules') WHERE measure = 'taux_pauvrete')
SELECT mesh, code, libelle, period, value, nb_personnes,
       CASE WHEN secret THEN 1.0 ELSE 0.0 END AS masked_share, 0.0 AS estimated_share,
       CASE WHEN value IS NULL AND NOT secret THEN 0.0 ELSE 1.0 END AS completeness, secret
FROM c
UNION ALL
SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), max(period),
       sum(value * nb_personnes) / nullif(sum(nb_personnes) FILTER (WHERE value IS NOT NULL), 0),
       -- BIGINT as the commune rows: a sum of BIGINTs is a HUGEINT, which GDAL (GeoJSON) cannot write
       (sum(nb_personnes) FILTER (WHERE value IS NOT NULL))::BIGINT,
       coalesce(sum(nb_personnes) FILTER (WHERE secret) / nullif(sum(nb_personnes), 0), 0.0),
       0.0,
       coalesce(sum(nb_personnes) FILTER (WHERE value IS NOT NULL) / nullif(sum(nb_personnes), 0), 0.0),
       false
FROM c WHERE mesh = 'commune'
HAVING count(*) > 0
