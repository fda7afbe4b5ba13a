-- The territory's waste per year and stream, with the groups the national targets use:
-- DMA (déchets ménagers et assimilés: every stream), OMA (ordures ménagères et assimilées:
-- residual + separate collections, without déchèteries) and DND non inertes (DMA without rubble
-- and hazardous waste, the scope of the 65 % recycling target).
WITH r AS (
    SELECT ANNEE AS annee, FLUX AS flux, TONNAGE_T AS tonnage_t,
           VALORISATION_MATIERE_T AS matiere_t, VALORISATION_ORGANIQUE_T AS organique_t,
           VALORISATION_ENERGETIQUE_T AS energetique_t, ELIMINATION_T AS elimination_t,
           POPULATION_DESSERVIE AS population
    FROM ref('dechets-rapport-annuel')
),
groups AS (
    SELECT 'DMA' AS groupe, flux FROM r
    UNION SELECT 'OMA', flux FROM r
        WHERE flux IN ('ordures_menageres_residuelles', 'emballages_papiers', 'verre', 'biodechets')
    UNION SELECT 'DND_NON_INERTES', flux FROM r WHERE flux NOT IN ('gravats', 'dechets_dangereux')
)
SELECT annee, flux, tonnage_t, matiere_t, organique_t, energetique_t, elimination_t,
       -- a stream whose destination is not reported counts as not recovered, and lowers completeness
       CASE WHEN coalesce(matiere_t, organique_t, energetique_t, elimination_t) IS NOT NULL THEN tonnage_t ELSE 0 END
           AS tonnage_destination_connue_t,
       population
FROM r
UNION ALL
-- each group's doubles are added in one order (ascending), not in the order the threads meet them:
-- the sums' last bits, hence the published bytes, do not depend on the thread count (a DECIMAL sum
-- would be exact too, but would round away tonnages under its scale)
SELECT r.annee, g.groupe, list_sum(list(r.tonnage_t ORDER BY r.tonnage_t)),
       list_sum(list(r.matiere_t ORDER BY r.matiere_t)), list_sum(list(r.organique_t ORDER BY r.organique_t)),
       list_sum(list(r.energetique_t ORDER BY r.energetique_t)),
       list_sum(list(r.elimination_t ORDER BY r.elimination_t)),
       list_sum(list(r.tonnage_t ORDER BY r.tonnage_t)
           FILTER (WHERE coalesce(r.matiere_t, r.organique_t, r.energetique_t, r.elimination_t) IS NOT NULL)),
       max(r.population)
FROM r JOIN groups AS g USING (flux)
GROUP BY r.annee, g.groupe
ORDER BY annee, flux
