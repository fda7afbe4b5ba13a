-- D9/D1 as INSEE published it (INSEE computes it from unrounded deciles: not recomputed here).
SELECT mesh, code, libelle, period, value,
       CASE WHEN secret THEN 1.0 ELSE 0.0 END AS masked_share, 0.0 AS estimated_share,
       CASE WHEN value IS NULL AND NOT secret THEN 0.0 ELSE 1.0 END AS completeness, secret
FROM ref('published.filosofi_cellules') WHERE measure = 'rapport_interdecile'
