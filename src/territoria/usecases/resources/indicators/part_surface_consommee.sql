-- NAF land consumed over the whole file (2009 to its last year) as a share of the area of the
-- commune (shipped boundaries, Lambert-93) and of the territory's communes with a boundary.
SELECT 'commune' AS mesh, code, nom AS libelle,
       premiere_annee || '-' || (derniere_annee + 1) AS period,
       100 * naf_total_m2 / 1e6 / surface_km2 AS value, naf_total_m2 / 1e4 AS consommation_ha,
       100 * surface_km2 AS surface_ha,
       0.0 AS masked_share, 0.0 AS estimated_share, CASE WHEN surface_km2 IS NULL THEN 0.0 ELSE 1.0 END AS completeness
FROM ref('foncier_communes')
UNION ALL
SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), min(premiere_annee) || '-' || (max(derniere_annee) + 1),
       100 * sum(naf_total_m2) FILTER (WHERE surface_km2 IS NOT NULL) / 1e6 / sum(surface_km2),
       sum(naf_total_m2) / 1e4, 100 * sum(surface_km2), 0.0, 0.0, count(surface_km2) / count(*)
FROM ref('foncier_communes')
