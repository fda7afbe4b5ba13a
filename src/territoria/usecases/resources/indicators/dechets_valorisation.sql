-- Share of waste recycled (material + organic recovery) per year, for the DMA (target 55 % in
-- 2025, loi AGEC / directive 2018/851) and for the non-hazardous non-inert waste (target 65 % in
-- 2025, LTECV). Completeness is the share of the tonnage whose destination is reported.
WITH v AS (
    SELECT annee AS period, flux, tonnage_t, tonnage_destination_connue_t,
           coalesce(matiere_t, 0) + coalesce(organique_t, 0) AS recycle_t,
           CASE flux WHEN 'DMA' THEN param('valorisation_dma_cible') ELSE param('valorisation_dnd_cible') END AS cible,
           CASE flux WHEN 'DMA' THEN param('valorisation_dma_annee') ELSE param('valorisation_dnd_annee') END AS annee_cible
    FROM ref('dechets_flux') WHERE flux IN ('DMA', 'DND_NON_INERTES')
)
SELECT param('territory.mesh') AS mesh, param('territory.code') AS code, param('territory.name') AS libelle, period,
       CASE flux WHEN 'DMA' THEN 'dma' ELSE 'dnd_non_inertes' END AS measure,
       100 * recycle_t / nullif(tonnage_t, 0) AS value, recycle_t, tonnage_t,
       100 * cible AS target_value, annee_cible AS target_year,
       recycle_t / nullif(tonnage_t, 0) >= cible AS cible_atteinte,
       0.0 AS masked_share, 0.0 AS estimated_share,
       coalesce(tonnage_destination_connue_t / nullif(tonnage_t, 0), 1.0) AS completeness
FROM v
