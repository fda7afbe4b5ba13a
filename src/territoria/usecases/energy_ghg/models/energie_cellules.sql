-- The protected table of energy cells: communes and the territory x sector (+ TOUS) x energy
-- (+ TOUTES) x year. Leaves absent from the source for a commune present that year are true
-- zeros; margins add up the known leaves (lower_bound when a leaf is masked upstream).
-- Published through the secrecy guard (statistical.energy); every energy indicator reads the
-- published copy, so one suppression pattern holds for all of them.
-- The margins are built level by level (commune x energy from the leaves, commune from that,
-- territory from the leaves): each aggregate reads the smallest table that holds it, instead of
-- one GROUPING SETS pass that hashes every leaf once per margin. The rows come in no particular
-- order (the guard identifies cells by their key; readers sort what they show).
WITH leaves AS (SELECT * FROM ref('energie_conso_commune')),
present AS (SELECT DISTINCT code, period FROM leaves),
sectors AS (SELECT DISTINCT period, sector FROM leaves),
territory AS (SELECT coalesce(nullif(param('territory.epci'), ''), 'territoire') AS code),
cells AS MATERIALIZED (
    SELECT
        g.code, g.period, g.sector, e.energy,
        CASE WHEN l.code IS NULL THEN 0.0 ELSE l.consumption_mwh END AS consumption_mwh,
        CASE WHEN l.code IS NULL THEN 0 ELSE l.nb_sites END::BIGINT AS nb_sites,
        coalesce(l.masked_components, 0)::BIGINT AS masked_components,
        coalesce(l.components, 0)::BIGINT AS components
    FROM (SELECT p.code, p.period, s.sector FROM present p JOIN sectors s USING (period)) g
    CROSS JOIN (SELECT unnest(['electricite', 'gaz']) AS energy) e
    LEFT JOIN leaves l USING (code, period, sector, energy)
),
by_energy AS MATERIALIZED (
    SELECT code, period, energy, sum(consumption_mwh) AS consumption_mwh, sum(nb_sites)::BIGINT AS nb_sites,
           sum(masked_components)::BIGINT AS masked_components, sum(components)::BIGINT AS components
    FROM cells GROUP BY code, period, energy
),
national AS MATERIALIZED (
    SELECT period, sector, energy, sum(consumption_mwh) AS consumption_mwh, sum(nb_sites)::BIGINT AS nb_sites,
           sum(masked_components)::BIGINT AS masked_components, sum(components)::BIGINT AS components
    FROM cells GROUP BY period, sector, energy
),
communes AS (
    SELECT code, period, sector, energy, consumption_mwh, nb_sites, masked_components, components FROM cells
    UNION ALL
    SELECT code, period, sector, 'TOUTES', sum(consumption_mwh), sum(nb_sites)::BIGINT,
           sum(masked_components)::BIGINT, sum(components)::BIGINT
    FROM cells GROUP BY code, period, sector
    UNION ALL
    SELECT code, period, 'TOUS', energy, consumption_mwh, nb_sites, masked_components, components FROM by_energy
    UNION ALL
    SELECT code, period, 'TOUS', 'TOUTES', sum(consumption_mwh), sum(nb_sites)::BIGINT,
           sum(masked_components)::BIGINT, sum(components)::BIGINT
    FROM by_energy GROUP BY code, period
),
margins AS (
    SELECT period, sector, energy, consumption_mwh, nb_sites, masked_components, components FROM national
    UNION ALL
    SELECT period, sector, 'TOUTES', sum(consumption_mwh), sum(nb_sites)::BIGINT, sum(masked_components)::BIGINT,
           sum(components)::BIGINT
    FROM national GROUP BY period, sector
    UNION ALL
    SELECT period, 'TOUS', energy, sum(consumption_mwh), sum(nb_sites)::BIGINT, sum(masked_components)::BIGINT,
           sum(components)::BIGINT
    FROM national GROUP BY period, energy
    UNION ALL
    SELECT period, 'TOUS', 'TOUTES', sum(consumption_mwh), sum(nb_sites)::BIGINT, sum(masked_components)::BIGINT,
           sum(components)::BIGINT
    FROM national GROUP BY period
),
-- share of the territory's communes present in the source each year (the list is read once)
per_year AS (
    SELECT period, count(*) / (SELECT count(*) FROM (SELECT unnest(param('territory.communes')))) AS completeness
    FROM present GROUP BY period
),
cube AS (
    SELECT 'commune' AS mesh, c.code, n.nom AS libelle, t.code AS parent_code, c.period, c.sector, c.energy,
           c.consumption_mwh, c.nb_sites, c.masked_components, c.components, 1.0 AS completeness
    -- plain equi-join (a condition on the left side only would make DuckDB loop over every pair)
    FROM communes c CROSS JOIN territory t LEFT JOIN ref('communes') n ON n.code = c.code
    UNION ALL
    SELECT 'epci', t.code, param('territory.name'), NULL, m.period, m.sector, m.energy,
           m.consumption_mwh, m.nb_sites, m.masked_components, m.components, y.completeness
    FROM margins m CROSS JOIN territory t LEFT JOIN per_year y ON y.period = m.period
)
SELECT
    mesh,
    code,
    libelle,
    parent_code,
    period,
    sector,
    energy,
    consumption_mwh,
    nb_sites,
    consumption_mwh IS NULL AS masked_input,
    consumption_mwh IS NOT NULL AND masked_components > 0 AS lower_bound,
    CASE WHEN components > 0 THEN masked_components / components ELSE 0.0 END AS masked_share,
    completeness
FROM cube
