-- Main residences built before 1971 (before the first thermal regulation of 1974; the census
-- period 1946-1970 is the last one before it), as a share of those built before 2019.
SELECT mesh, code, libelle, period, 100 * rp_avant_1971 / nullif(rp_total, 0) AS value, rp_total AS residences_principales,
       0.0 AS masked_share, 0.0 AS estimated_share, CASE WHEN rp_avant_1971 IS NULL THEN 0.0 ELSE 1.0 END AS completeness
FROM ref('published.logements_communes')
UNION ALL
SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), max(period),
       100 * sum(rp_avant_1971) / nullif(sum(rp_total) FILTER (WHERE rp_avant_1971 IS NOT NULL), 0), sum(rp_total),
       0.0, 0.0, count(rp_avant_1971) / (SELECT count(*) FROM ref('communes'))
FROM ref('published.logements_communes') HAVING count(*) > 0
