-- Change of consumption against the reference year (%), per cell. Secret when either year's cell
-- is; `comparable` is false across the 2018 series break (petits professionnels split out of
-- residential) for the residential and professional sectors.
WITH c AS (SELECT * FROM ref('published.energie_cellules'))
SELECT y.mesh, y.code, y.libelle, y.period, y.sector, y.energy,
       CASE WHEN y.secret OR r.secret THEN NULL ELSE 100 * (y.consumption_mwh / nullif(r.consumption_mwh, 0) - 1) END
           AS value,
       r.period AS reference_year,
       NOT (y.sector IN ('residentiel', 'professionnel') AND r.period < 2018 AND y.period >= 2018) AS comparable,
       greatest(y.masked_share, r.masked_share) AS masked_share, 0.0 AS estimated_share,
       least(y.completeness, r.completeness) AS completeness, y.lower_bound OR r.lower_bound AS lower_bound,
       y.secret OR r.secret AS secret
FROM c y JOIN c r ON r.code = y.code AND r.sector = y.sector AND r.energy = y.energy
    AND r.period = param('reference_year')
