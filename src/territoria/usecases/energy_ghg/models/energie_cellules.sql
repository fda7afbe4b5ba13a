-- The protected table of energy cells: communes and the territory x sector (+ TOUS) x energy
-- (+ TOUTES) x year. Leaves absent from the source for a commune present that year are true
-- zeros; margins add up the known leaves (lower_bound when a leaf is masked upstream).
-- Published through the secrecy guard (statistical.energy); every energy indicator reads the
-- published copy, so one suppression pattern holds for all of them.
-- The two energies of a commune x sector x year sit side by side in one row (the grid of present
-- communes x sectors, with its electricity and gas leaves), so that the TOUTES cell is a sum of
-- two columns and each margin is one small aggregate of that grid: no pass hashes every leaf once
-- per margin. A sum over cells is null only when every cell in it is (as SQL's sum). The rows
-- come in no particular order (the guard identifies cells by their key; readers sort them).
-- Consumption stays DECIMAL(38, 6) (as energie_conso_commune sums it) through every margin, so
-- that no sum depends on the order of addition, and is published as DOUBLE at the end.
-- o_*: the part of the electricity from another operator than Enedis (energie_conso_commune's other_*).
WITH leaves AS (SELECT * FROM ref('energie_conso_commune')),
present AS (SELECT DISTINCT code, period FROM leaves),
sectors AS (SELECT DISTINCT period, sector FROM leaves),
territory AS (SELECT param('territory.code') AS code),
-- leaves absent from the source for a commune present that year are true zeros
pairs AS MATERIALIZED (
    SELECT
        g.code, g.period, g.sector,
        CASE WHEN e.code IS NULL THEN 0::DECIMAL(38, 6) ELSE e.consumption_mwh END AS e_mwh,
        CASE WHEN e.code IS NULL THEN 0 ELSE e.nb_sites END::BIGINT AS e_sites,
        coalesce(e.masked_components, 0)::BIGINT AS e_masked,
        coalesce(e.components, 0)::BIGINT AS e_n,
        coalesce(e.other_components, 0)::BIGINT AS o_n,
        coalesce(e.other_masked, 0)::BIGINT AS o_masked,
        coalesce(e.other_sites, 0)::BIGINT AS o_sites,
        CASE WHEN z.code IS NULL THEN 0::DECIMAL(38, 6) ELSE z.consumption_mwh END AS z_mwh,
        CASE WHEN z.code IS NULL THEN 0 ELSE z.nb_sites END::BIGINT AS z_sites,
        coalesce(z.masked_components, 0)::BIGINT AS z_masked,
        coalesce(z.components, 0)::BIGINT AS z_n
    FROM (SELECT p.code, p.period, s.sector FROM present p JOIN sectors s USING (period)) g
    LEFT JOIN leaves e ON e.code = g.code AND e.period = g.period AND e.sector = g.sector AND e.energy = 'electricite'
    LEFT JOIN leaves z ON z.code = g.code AND z.period = g.period AND z.sector = g.sector AND z.energy = 'gaz'
),
-- all sectors of a commune, and every commune of the territory by sector
commune_all AS MATERIALIZED (
    SELECT code, period, sum(e_mwh) AS e_mwh, sum(e_sites)::BIGINT AS e_sites, sum(e_masked)::BIGINT AS e_masked,
           sum(e_n)::BIGINT AS e_n, sum(z_mwh) AS z_mwh, sum(z_sites)::BIGINT AS z_sites,
           sum(z_masked)::BIGINT AS z_masked, sum(z_n)::BIGINT AS z_n,
           sum(o_n)::BIGINT AS o_n, sum(o_masked)::BIGINT AS o_masked, sum(o_sites)::BIGINT AS o_sites
    FROM pairs GROUP BY code, period
),
national AS MATERIALIZED (
    SELECT period, sector, sum(e_mwh) AS e_mwh, sum(e_sites)::BIGINT AS e_sites, sum(e_masked)::BIGINT AS e_masked,
           sum(e_n)::BIGINT AS e_n, sum(z_mwh) AS z_mwh, sum(z_sites)::BIGINT AS z_sites,
           sum(z_masked)::BIGINT AS z_masked, sum(z_n)::BIGINT AS z_n,
           sum(o_n)::BIGINT AS o_n, sum(o_masked)::BIGINT AS o_masked, sum(o_sites)::BIGINT AS o_sites
    FROM pairs GROUP BY period, sector
),
national_all AS (
    SELECT period, 'TOUS' AS sector, sum(e_mwh) AS e_mwh, sum(e_sites)::BIGINT AS e_sites,
           sum(e_masked)::BIGINT AS e_masked, sum(e_n)::BIGINT AS e_n, sum(z_mwh) AS z_mwh,
           sum(z_sites)::BIGINT AS z_sites, sum(z_masked)::BIGINT AS z_masked, sum(z_n)::BIGINT AS z_n,
           sum(o_n)::BIGINT AS o_n, sum(o_masked)::BIGINT AS o_masked, sum(o_sites)::BIGINT AS o_sites
    FROM national GROUP BY period
),
-- the grid rows and each commune's all-sectors row; each gives its electricity, gas and TOUTES cells
communes AS (
    SELECT code, period, sector, e_mwh, e_sites, e_masked, e_n, z_mwh, z_sites, z_masked, z_n, o_n, o_masked, o_sites
    FROM pairs
    UNION ALL
    SELECT code, period, 'TOUS', e_mwh, e_sites, e_masked, e_n, z_mwh, z_sites, z_masked, z_n, o_n, o_masked, o_sites
    FROM commune_all
),
margins AS (
    SELECT period, sector, e_mwh, e_sites, e_masked, e_n, z_mwh, z_sites, z_masked, z_n, o_n, o_masked, o_sites
    FROM national
    UNION ALL
    SELECT period, sector, e_mwh, e_sites, e_masked, e_n, z_mwh, z_sites, z_masked, z_n, o_n, o_masked, o_sites
    FROM national_all
),
-- share of the territory's communes present in the source each year (the list is read once)
per_year AS (
    SELECT period, count(*) / (SELECT count(*) FROM (SELECT unnest(param('territory.communes')))) AS completeness
    FROM present GROUP BY period
),
-- The commune's label is joined once per grid row, and the three cells of a row come from a
-- three-row cross join: ``communes`` is read once, streamed, never materialised (a UNION ALL of
-- three reads of it made DuckDB materialise it, and joined the labels once per cell, 3x as often).
energies AS (SELECT * FROM (VALUES ('electricite', 0), ('gaz', 1), ('TOUTES', 2)) AS e (energy, k)),
cells AS (
    SELECT c.code, n.nom AS libelle, c.period, c.sector, e.energy,
           CASE e.k WHEN 0 THEN c.e_mwh WHEN 1 THEN c.z_mwh
                ELSE CASE WHEN c.e_mwh IS NULL AND c.z_mwh IS NULL THEN NULL ELSE coalesce(c.e_mwh, 0) + coalesce(c.z_mwh, 0) END
           END AS consumption_mwh,
           CASE e.k WHEN 0 THEN c.e_sites WHEN 1 THEN c.z_sites
                ELSE CASE WHEN c.e_sites IS NULL AND c.z_sites IS NULL THEN NULL ELSE coalesce(c.e_sites, 0) + coalesce(c.z_sites, 0) END
           END AS nb_sites,
           CASE e.k WHEN 0 THEN c.e_masked WHEN 1 THEN c.z_masked ELSE c.e_masked + c.z_masked END AS masked_components,
           CASE e.k WHEN 0 THEN c.e_n WHEN 1 THEN c.z_n ELSE c.e_n + c.z_n END AS components,
           CASE e.k WHEN 1 THEN 0 ELSE c.o_n END AS o_n,
           CASE e.k WHEN 1 THEN 0 ELSE c.o_masked END AS o_masked,
           CASE e.k WHEN 1 THEN 0 ELSE c.o_sites END AS o_sites
    -- plain equi-join (a condition on the left side only would make DuckDB loop over every pair)
    FROM communes c LEFT JOIN ref('communes') n ON n.code = c.code CROSS JOIN energies e
),
margin_cells AS (
    SELECT period, sector, 'electricite' AS energy, e_mwh AS consumption_mwh, e_sites AS nb_sites,
           e_masked AS masked_components, e_n AS components, o_n, o_masked, o_sites
    FROM margins
    UNION ALL
    SELECT period, sector, 'gaz', z_mwh, z_sites, z_masked, z_n, 0, 0, 0 FROM margins
    UNION ALL
    SELECT period, sector, 'TOUTES',
           CASE WHEN e_mwh IS NULL AND z_mwh IS NULL THEN NULL ELSE coalesce(e_mwh, 0) + coalesce(z_mwh, 0) END,
           CASE WHEN e_sites IS NULL AND z_sites IS NULL THEN NULL
                ELSE coalesce(e_sites, 0) + coalesce(z_sites, 0) END,
           e_masked + z_masked, e_n + z_n, o_n, o_masked, o_sites
    FROM margins
),
cube AS (
    SELECT 'commune' AS mesh, c.code, c.libelle, t.code AS parent_code, c.period, c.sector,
           c.energy, c.consumption_mwh, c.nb_sites, c.masked_components, c.components, 1.0 AS completeness,
           c.o_n, c.o_masked, c.o_sites
    FROM cells c CROSS JOIN territory t
    UNION ALL
    SELECT param('territory.mesh'), t.code, param('territory.name'), NULL, m.period, m.sector, m.energy,
           m.consumption_mwh, m.nb_sites, m.masked_components, m.components, y.completeness,
           m.o_n, m.o_masked, m.o_sites
    FROM margin_cells m CROSS JOIN territory t LEFT JOIN per_year y ON y.period = m.period
)
SELECT
    mesh,
    code,
    libelle,
    parent_code,
    period,
    sector,
    energy,
    consumption_mwh::DOUBLE AS consumption_mwh,
    nb_sites,
    consumption_mwh IS NULL AS masked_input,
    consumption_mwh IS NOT NULL AND masked_components > 0 AS lower_bound,
    CASE WHEN components > 0 THEN masked_components / components ELSE 0.0 END AS masked_share,
    completeness,
    -- electricity of another operator than Enedis in the cell, and whether that part alone is
    -- one the rules of secrecy.yaml would suppress (masked upstream, or fewer delivery points than
    -- the rules that apply to the cell ask, as policies.yaml sets them, their `when:` included:
    -- governance/secrecy/rules.least_expressions): Enedis's IRIS cell is then the cell minus a secret
    o_n > 0 AS other_operators,
    o_n > 0 AND (o_masked > 0 OR o_sites < param('secrecy.energy.least.nb_sites')) AS other_operators_secret
FROM cube
