-- Residential electricity and gas per fiscal household, for the Filosofi year: a lower bound of
-- the housing energy of a household (heating oil, wood and heat networks are not in the energy
-- pack's files). A secret energy cell makes the value secret; a lower-bound cell (a masked
-- delivery-point cell left out) is flagged.
SELECT mesh, code, libelle, period, conso_mwh / nullif(menages, 0) AS value, menages, taux_chauffage_electrique,
       CASE WHEN total_secret THEN 1.0 ELSE 0.0 END AS masked_share, 0.0 AS estimated_share,
       CASE WHEN menages IS NULL OR (conso_mwh IS NULL AND NOT total_secret) THEN 0.0 ELSE 1.0 END AS completeness,
       lower_bound, total_secret AS secret
FROM ref('precarite_energetique_facteurs')
