-- NAF land consumed per year (ha), by commune and for the territory, with its destinations.
SELECT 'commune' AS mesh, code, nom AS libelle, annee AS period, naf_m2 / 1e4 AS value,
       habitat_m2 / 1e4 AS habitat_ha, activite_m2 / 1e4 AS activite_ha, mixte_m2 / 1e4 AS mixte_ha,
       infrastructures_m2 / 1e4 AS infrastructures_ha, inconnu_m2 / 1e4 AS inconnu_ha,
       0.0 AS masked_share, 0.0 AS estimated_share, 1.0 AS completeness
FROM ref('foncier_flux')
UNION ALL
SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), annee, sum(naf_m2) / 1e4,
       sum(habitat_m2) / 1e4, sum(activite_m2) / 1e4, sum(mixte_m2) / 1e4, sum(infrastructures_m2) / 1e4,
       sum(inconnu_m2) / 1e4, 0.0, 0.0, count(naf_m2) / (SELECT count(*) FROM ref('communes'))
FROM ref('foncier_flux') GROUP BY annee
