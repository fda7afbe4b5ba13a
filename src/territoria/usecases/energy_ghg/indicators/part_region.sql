-- The territory's share (%) of its region's consumption, per year and energy (all sectors): the
-- territory's protected cells against Agence ORE's regional totals. A territory across regions
-- (CC d'Aire-sur-l'Adour: Landes and Gers) is compared with the regions it spans together (region
-- "Nouvelle-Aquitaine + Occitanie"), a year counting only when every one of them has its total;
-- the regions are those of the territory's communes in the referential. Years are those both
-- files cover.
WITH t AS (
    SELECT code, libelle, period, energy, consumption_mwh, masked_share, completeness, lower_bound, secret
    FROM ref('published.energie_cellules')
    WHERE mesh = param('territory.mesh') AND sector = 'TOUS' AND energy IN ('electricite', 'gaz', 'TOUTES')
),
regions AS (SELECT DISTINCT region FROM ref('communes')),
r AS (
    SELECT annee AS period, CASE WHEN filiere = 'Gaz' THEN 'gaz' ELSE 'electricite' END AS energy,
           sum(conso_mwh::DECIMAL(38, 6)) AS conso_mwh,
           string_agg(DISTINCT libelle_region, ' + ' ORDER BY libelle_region) AS libelle_region
    FROM ref('conso-elec-gaz-region')
    WHERE code_region IN (SELECT region FROM regions)
    GROUP BY ALL
    HAVING count(DISTINCT code_region) = (SELECT count(*) FROM regions)
),
r_all AS (
    SELECT * FROM r
    UNION ALL
    SELECT period, 'TOUTES', sum(conso_mwh), any_value(libelle_region) FROM r GROUP BY period
)
SELECT param('territory.mesh') AS mesh, t.code, t.libelle, t.period, t.energy, r.libelle_region AS region,
       CASE WHEN t.secret THEN NULL ELSE 100 * (t.consumption_mwh / nullif(r.conso_mwh, 0)) END AS value,
       r.conso_mwh::DOUBLE AS conso_region_mwh, t.masked_share, 0.0 AS estimated_share, t.completeness,
       t.lower_bound, t.secret
FROM t JOIN r_all AS r USING (period, energy)
