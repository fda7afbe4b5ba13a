-- Annual mean per station and pollutant, with the EU annual limit value (directive 2008/50/EC:
-- NO2 40, PM10 40, PM2.5 25 µg/m³) and the WHO 2021 guideline (NO2 10, PM10 15, PM2.5 5, O3 none
-- annual). completeness = the share of the year the measures cover; `valide` = at least
-- air_couverture_min of it (or an annual mean the AASQA published).
SELECT 'station' AS mesh, station AS code, nom || ' (' || coalesce(commune_nom, commune) || ')' AS libelle,
       annee AS period, polluant, valeur AS value, commune, origine,
       CASE polluant WHEN 'NO2' THEN 40 WHEN 'PM10' THEN 40 WHEN 'PM2.5' THEN 25 END AS valeur_limite_ue,
       CASE polluant WHEN 'NO2' THEN 10 WHEN 'PM10' THEN 15 WHEN 'PM2.5' THEN 5 END AS ligne_directrice_oms,
       capture >= param('air_couverture_min') AS valide,
       0.0 AS masked_share, 0.0 AS estimated_share, capture AS completeness
FROM ref('qualite_air_annuelle')
