-- Median disposable income per consumption unit, as INSEE published it (commune and IRIS).
-- Not computed for the territory: a median of medians is not a median (Filosofi is not additive).
SELECT mesh, code, libelle, period, value, nb_menages,
       CASE WHEN secret THEN 1.0 ELSE 0.0 END AS masked_share, 0.0 AS estimated_share,
       CASE WHEN value IS NULL AND NOT secret THEN 0.0 ELSE 1.0 END AS completeness, secret
FROM ref('published.filosofi_cellules') WHERE measure = 'mediane'
