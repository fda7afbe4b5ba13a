-- Consumption (MWh; gas in MWh PCS) by mesh, sector, energy and year, from the protected cells.
SELECT mesh, code, libelle, period, sector, energy, consumption_mwh AS value, nb_sites,
       masked_share, 0.0 AS estimated_share, completeness, lower_bound, secret
FROM ref('published.energie_cellules')
