-- Structure of disposable income: each component's share (%), taxes negative (INSEE's convention).
SELECT mesh, code, libelle, period, substr(measure, 6) AS composante, value,
       CASE WHEN secret THEN 1.0 ELSE 0.0 END AS masked_share, 0.0 AS estimated_share,
       CASE WHEN value IS NULL AND NOT secret THEN 0.0 ELSE 1.0 END AS completeness, secret
FROM ref('published.filosofi_cellules') WHERE measure LIKE 'part\_%' ESCAPE '\' AND measure <> 'part_menages_imposes'
