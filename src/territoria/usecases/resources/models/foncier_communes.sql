-- Per commune: the area (shipped boundaries, Lambert-93), the ZAN reference decade's consumption
-- (sum of the yearly flows 2011..2020, i.e. 1 Jan 2011 to 1 Jan 2021) and the population change
-- 2013-2019 with the land consumed over the same years (flows 2013..2018).
WITH f AS (
    SELECT code,
           sum(naf_m2) FILTER (WHERE annee BETWEEN param('zan_reference_debut') AND param('zan_debut') - 1) AS reference_m2,
           count(naf_m2) FILTER (WHERE annee BETWEEN param('zan_reference_debut') AND param('zan_debut') - 1) AS reference_annees,
           sum(naf_m2) FILTER (WHERE annee BETWEEN 2013 AND 2018) AS naf_2013_2019_m2,
           sum(naf_m2) AS naf_total_m2, min(annee) AS premiere_annee, max(annee) AS derniere_annee
    FROM ref('foncier_flux') GROUP BY code
)
SELECT c.code, c.nom, s.surface_km2, f.reference_m2, f.reference_annees, f.naf_2013_2019_m2, f.naf_total_m2,
       f.premiere_annee, f.derniere_annee, n.pop13, n.pop19,
       coalesce(n.pop1319, n.pop19 - n.pop13) AS pop_2013_2019
FROM ref('communes') AS c
JOIN f USING (code)
LEFT JOIN ref('surface_communes') AS s USING (code)
LEFT JOIN ref('consommation-espaces-naf') AS n ON n.idcom = c.code
ORDER BY c.code
