-- ZAN (loi Climat et Résilience, 2021): over zan_duree years from zan_debut (2021-2030), consume at
-- most (1 - zan_reduction) of the reference decade's consumption (flows 2011-2020). value is the
-- consumption cumulated since zan_debut (ha), target_value the envelope spent evenly until that
-- year. Completeness is the share of the reference decade the file covers.
WITH mesh_flux AS (
    SELECT 'commune' AS mesh, code, nom AS libelle, annee, naf_m2 FROM ref('foncier_flux')
    UNION ALL
    SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), annee, sum(naf_m2) FROM ref('foncier_flux') GROUP BY annee
),
ref_decade AS (
    SELECT mesh, code, libelle,
           sum(naf_m2) FILTER (WHERE annee BETWEEN param('zan_reference_debut') AND param('zan_debut') - 1) / 1e4 AS reference_ha,
           count(naf_m2) FILTER (WHERE annee BETWEEN param('zan_reference_debut') AND param('zan_debut') - 1) AS reference_annees,
           max(annee) AS derniere_annee
    FROM mesh_flux GROUP BY ALL
),
years AS (SELECT unnest(range(param('zan_debut'), param('zan_debut') + param('zan_duree'))) AS period),
cumul AS (
    SELECT r.mesh, r.code, y.period,
           CASE WHEN y.period <= r.derniere_annee THEN coalesce(sum(f.naf_m2), 0) / 1e4 END AS cumul_ha
    FROM ref_decade AS r CROSS JOIN years AS y
    LEFT JOIN mesh_flux AS f
        ON f.mesh = r.mesh AND f.code = r.code AND f.annee BETWEEN param('zan_debut') AND y.period
    GROUP BY r.mesh, r.code, y.period, r.derniere_annee
)
SELECT r.mesh, r.code, r.libelle, c.period, c.cumul_ha AS value, r.reference_ha,
       r.reference_ha * (1 - param('zan_reduction')) AS enveloppe_ha,
       r.reference_ha * (1 - param('zan_reduction')) * (c.period - param('zan_debut') + 1) / param('zan_duree') AS target_value,
       100 * c.cumul_ha / nullif(r.reference_ha * (1 - param('zan_reduction')), 0) AS part_enveloppe_pct,
       c.cumul_ha > r.reference_ha * (1 - param('zan_reduction')) * (c.period - param('zan_debut') + 1) / param('zan_duree')
           AS au_dessus_trajectoire,
       0.0 AS masked_share, 0.0 AS estimated_share, r.reference_annees / (param('zan_debut') - param('zan_reference_debut')) AS completeness
FROM ref_decade AS r JOIN cumul AS c USING (mesh, code)
