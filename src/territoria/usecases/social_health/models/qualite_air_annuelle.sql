-- Annual mean concentration per station, pollutant and year, for the stations of the territory's
-- communes. An annual mean the AASQA published itself is taken as it is; otherwise it is the
-- duration-weighted mean of the valid hourly or daily values of the year, with the share of the
-- year they cover (capture). Directive 2008/50/EC asks 90 % capture for a valid annual mean
-- (parameter air_couverture_min): below it the mean is published but flagged not valid.
-- The weighted sums add DECIMAL(38, 9) values: exact, so the mean's last bits do not depend on the
-- thread count (as doubles they did, and every refresh re-ran the indicators reading it).
WITH m AS (
    SELECT cd_sttn AS station, nm_sttn AS nom, id_com AS commune, metriqu,
           CASE WHEN nom_pll ILIKE '%azote%' THEN 'NO2' WHEN nom_pll ILIKE '%PM10%' THEN 'PM10'
                WHEN nom_pll ILIKE '%PM2%' THEN 'PM2.5' WHEN nom_pll ILIKE 'ozone%' THEN 'O3' ELSE nom_pll END AS polluant,
           year(dat_dbt) AS annee, valeur, valeur::DECIMAL(38, 9) AS valeur_exacte, coalesce(sttt_vl, 1) = 1 AS valide,
           (date_diff('second', dat_dbt, date_fn) / 3600.0)::DECIMAL(38, 9) AS heures
    FROM ref('qualite-air-mesures') WHERE id_com IN (SELECT code FROM ref('communes')) AND valeur IS NOT NULL
),
annuelle AS (
    SELECT station, polluant, annee, max(valeur) AS valeur FROM m
    WHERE metriqu = 'moyenne annuelle' AND valide GROUP BY station, polluant, annee
),
calculee AS (
    SELECT station, polluant, annee, (sum(valeur_exacte * heures) / nullif(sum(heures), 0))::DOUBLE AS valeur,
           least(1.0, sum(heures) / (date_diff('hour', make_date(annee, 1, 1), make_date(annee + 1, 1, 1))))::DOUBLE AS capture
    FROM m WHERE metriqu <> 'moyenne annuelle' AND valide GROUP BY station, polluant, annee
),
stations AS (SELECT station, min(nom) AS nom, min(commune) AS commune FROM m GROUP BY station)  -- min: any_value could differ by thread
SELECT s.station, s.nom, s.commune, c.nom AS commune_nom, k.polluant, k.annee,
       coalesce(a.valeur, b.valeur) AS valeur,
       CASE WHEN a.valeur IS NOT NULL THEN 'moyenne annuelle publiée par l''AASQA' ELSE 'moyenne des mesures valides' END AS origine,
       CASE WHEN a.valeur IS NOT NULL THEN 1.0 ELSE b.capture END AS capture
FROM (SELECT station, polluant, annee FROM annuelle UNION SELECT station, polluant, annee FROM calculee) AS k
JOIN stations AS s USING (station)
LEFT JOIN ref('communes') AS c ON c.code = s.commune
LEFT JOIN annuelle AS a USING (station, polluant, annee)
LEFT JOIN calculee AS b USING (station, polluant, annee)
