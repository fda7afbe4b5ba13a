-- The protected table of energy cells: communes and the territory x sector (+ TOUS) x energy
-- (+ TOUTES) x year. Leaves absent from the source for a commune present that year are true
-- zeros; margins add up the known leaves (lower_bound when a leaf is masked upstream).
-- Published through the secrecy guard (statistical.energy); every energy indicator reads the
-- published copy, so one suppression pattern holds for all of them.
WITH leaves AS (SELECT * FROM ref('energie_conso_commune')),
present AS (SELECT DISTINCT code, period FROM leaves),
sectors AS (SELECT DISTINCT period, sector FROM leaves),
grid AS (
    SELECT p.code, p.period, s.sector, e.energy
    FROM present p JOIN sectors s USING (period) CROSS JOIN (SELECT unnest(['electricite', 'gaz']) AS energy) e
),
cells AS (
    SELECT
        g.*,
        CASE WHEN l.code IS NULL THEN 0.0 ELSE l.consumption_mwh END AS consumption_mwh,
        CASE WHEN l.code IS NULL THEN 0 ELSE l.nb_sites END AS nb_sites,
        coalesce(l.masked_components, 0) AS masked_components,
        coalesce(l.components, 0) AS components
    FROM grid g LEFT JOIN leaves l USING (code, period, sector, energy)
),
-- share of the territory's communes present in the source each year (the list is read once)
per_year AS (
    SELECT period, count(*) / (SELECT count(*) FROM (SELECT unnest(param('territory.communes')))) AS completeness
    FROM present GROUP BY period
),
cube AS (
    SELECT
        CASE WHEN grouping(code) = 1 THEN 'epci' ELSE 'commune' END AS mesh,
        coalesce(code, coalesce(nullif(param('territory.epci'), ''), 'territoire')) AS code,
        CASE WHEN grouping(code) = 0 THEN coalesce(nullif(param('territory.epci'), ''), 'territoire') END
            AS parent_code,
        period,
        coalesce(sector, 'TOUS') AS sector,
        coalesce(energy, 'TOUTES') AS energy,
        sum(consumption_mwh) AS consumption_mwh,
        sum(nb_sites)::BIGINT AS nb_sites,
        sum(masked_components)::BIGINT AS masked_components,
        sum(components)::BIGINT AS components
    FROM cells
    GROUP BY GROUPING SETS (
        (code, period, sector, energy), (code, period, sector), (code, period, energy), (code, period),
        (period, sector, energy), (period, sector), (period, energy), (period)
    )
)
SELECT
    c.mesh,
    c.code,
    CASE WHEN c.mesh = 'commune' THEN n.nom ELSE param('territory.name') END AS libelle,
    c.parent_code,
    c.period,
    c.sector,
    c.energy,
    c.consumption_mwh,
    c.nb_sites,
    c.consumption_mwh IS NULL AS masked_input,
    c.consumption_mwh IS NOT NULL AND c.masked_components > 0 AS lower_bound,
    CASE WHEN c.components > 0 THEN c.masked_components / c.components ELSE 0.0 END AS masked_share,
    CASE WHEN c.mesh = 'epci' THEN y.completeness ELSE 1.0 END AS completeness
FROM cube c
-- plain equi-joins (a condition on the left side only would make DuckDB loop over every pair)
LEFT JOIN ref('communes') n ON n.code = c.code
LEFT JOIN per_year y ON y.period = c.period
ORDER BY c.mesh, c.code, c.sector, c.energy, c.period
