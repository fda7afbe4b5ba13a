-- Theoretical energy effort of a household at the first income decile (ONPE's TEE_3D looks at
-- the 3 lowest deciles spending more than 8 % of their income on housing energy; the platform
-- has neither household expenditure nor the 3-decile income, so this proxy prices the commune's
-- mean residential consumption per household and sets it against a D1 household's income):
--   effort = (electricity MWh x prix_electricite + gas MWh x prix_gaz) / households
--            / (D1 x consumption units of a mean household)
-- consumption units: 1 + 0.5 x (persons per household - 1) (modified OECD scale, every extra
-- person counted as aged 14 or more). A model, not a measure: estimated_share is 1.
-- A commune without gas has no gas cell (0); a secret cell makes the value secret, never 0.
SELECT mesh, code, libelle, period,
       CASE WHEN NOT (conso_secret OR d1_secret) THEN 100 * (coalesce(elec_mwh, 0) * param('prix_electricite_eur_mwh') + coalesce(gaz_mwh, 0) * param('prix_gaz_eur_mwh'))
           / nullif(menages, 0) / nullif(d1 * (1 + 0.5 * (personnes / menages - 1)), 0) END AS value,
       8.0 AS seuil_onpe, d1, menages,
       param('prix_electricite_eur_mwh') AS prix_electricite_eur_mwh, param('prix_gaz_eur_mwh') AS prix_gaz_eur_mwh,
       CASE WHEN conso_secret OR d1_secret THEN 1.0 ELSE 0.0 END AS masked_share, 1.0 AS estimated_share,
       CASE WHEN d1 IS NULL OR menages IS NULL OR (conso_mwh IS NULL AND NOT conso_secret) THEN 0.0 ELSE 1.0 END
           AS completeness,
       lower_bound, conso_secret OR d1_secret AS secret
FROM ref('precarite_energetique_facteurs') WHERE mesh = 'commune'
