-- Waste collected per inhabitant served (kg/hab/an), per year and stream, and for the groups
-- DMA (every stream) and OMA (without déchèteries).
SELECT param('territory.mesh') AS mesh, param('territory.code') AS code, param('territory.name') AS libelle,
       annee AS period, flux, 1000 * tonnage_t / population AS value, tonnage_t, population,
       0.0 AS masked_share, 0.0 AS estimated_share, 1.0 AS completeness
FROM ref('dechets_flux')
WHERE flux <> 'DND_NON_INERTES'
