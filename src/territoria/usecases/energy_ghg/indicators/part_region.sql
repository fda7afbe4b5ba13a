-- The territory's share (%) of its region's consumption, per year and energy (all sectors): the
-- territory's protected cells against Agence ORE's regional totals. The region is the one the
-- commune file gives for the territory's communes; years are those both files cover.
WITH t AS (
    SELECT code, libelle, period, energy, consumption_mwh, masked_share, completeness, lower_bound, secret
    FROM ref('published.energie_cellules')
    WHERE mesh = param('territory.mesh') AND sector = 'TOUS' AND energy IN ('electricite', 'gaz', 'TOUTES')
),
region AS (SELECT any_value(code_region) AS code_region FROM ref('conso-elec-gaz-commune')
           WHERE code_commune IN (SELECT unnest(param('territory.communes')))),
r AS (
    SELECT annee AS period, CASE WHEN filiere = 'Gaz' THEN 'gaz' ELSE 'electricite' END AS energy,
           sum(conso_mwh::DECIMAL(38, 6)) AS conso_mwh, any_value(libelle_region) AS libelle_region
    FROM ref('conso-elec-gaz-region')
    WHERE code_region = (SELECT code_region FROM region)
    GROUP BY ALL
),
r_all AS (
    SELECT * FROM r
    UNION ALL
    SELECT period, 'TOUTES', sum(conso_mwh), any_value(libelle_region) FROM r GROUP BY period
)
SELECT param('territory.mesh') AS mesh, t.code, t.libelle, t.period, t.energy, r.libelle_region AS region,
       CASE WHEN t.secret THEN NULL ELSE 100 * t.consumption_mwh / nullif(r.conso_mwh, 0) END AS value,
       r.conso_mwh::DOUBLE AS conso_region_mwh, t.masked_share, 0.0 AS estimated_share, t.completeness,
       t.lower_bound, t.secret
FROM t JOIN r_all AS r USING (period, energy)
