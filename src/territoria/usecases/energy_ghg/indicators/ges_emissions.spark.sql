-- Spark variant of ges_emissions.sql (Spark has no 128-bit integers for the factor bit set): each
-- total lists its factors itself (sorted distinct ids), and the decimal operands are sized so that
-- Spark keeps every digit of the products (DECIMAL(19, 6) x DECIMAL(18, 9) = DECIMAL(38, 15), as
-- DuckDB's; wider operands make Spark round products to 6 decimals). Written in DuckDB's grammar, as
-- the Spark engine translates it like any pack SQL. Same rows, same columns and values; keep both in step.
WITH factors AS (
    SELECT *, max(year_to) OVER (PARTITION BY energy ORDER BY year_from, factor_id
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_to,
           lag(factor_id) OVER (PARTITION BY energy ORDER BY year_from, factor_id) AS previous_id
    FROM ref('facteurs-emission') WHERE version = param('emission_factor_version')
),
f AS (
    SELECT energy, year, year_from, year_to, value AS factor, factor_id, version
    FROM factors
    WHERE CASE WHEN year_from <= previous_to
               THEN error('facteurs-emission: the factor ' || factor_id || ' of ' || energy || ' applies from ' || year_from::VARCHAR || ' while an earlier one (' || previous_id || ') applies until ' || previous_to::VARCHAR || ': give each year of an energy one factor of version ' || version || ' (year_from, year_to)')
               ELSE true END
),
cells AS NOT MATERIALIZED (SELECT * FROM ref('published.energie_cellules')),
leaf AS NOT MATERIALIZED (
    SELECT c.mesh, c.code, c.libelle, c.period, c.sector, c.energy,
           c.consumption_mwh::DECIMAL(19, 6) * f.factor::DECIMAL(18, 9) AS value,
           c.masked_share, c.completeness, c.lower_bound, c.secret, f.factor_id, f.version,
           CASE WHEN f.year = c.period THEN 0.0 ELSE 1.0 END AS estimated
    FROM cells c JOIN f ON f.energy = c.energy AND c.period BETWEEN f.year_from AND f.year_to
),
total AS (
    SELECT l.mesh, l.code, l.period, l.sector, 'TOUTES' AS energy,
           CASE WHEN bool_or(l.secret) THEN NULL ELSE sum(l.value) END AS value,
           bool_or(l.secret) AS secret, bool_or(l.lower_bound) AS lower_bound,
           array_to_string(list_sort(list(DISTINCT l.factor_id)), ',') AS factors,
           coalesce(sum(CASE WHEN l.estimated = 1.0 THEN l.value ELSE 0 END) / nullif(sum(l.value), 0), max(l.estimated))
               AS estimated
    FROM leaf l GROUP BY l.mesh, l.code, l.period, l.sector
)
SELECT mesh, code, libelle, period, sector, energy, value::DOUBLE AS value, masked_share, estimated AS estimated_share,
       completeness, lower_bound, secret, factor_id AS emission_factors, version AS emission_factor_version
FROM leaf
UNION ALL
SELECT t.mesh, t.code, c.libelle, t.period, t.sector, t.energy, t.value::DOUBLE, c.masked_share, t.estimated,
       c.completeness,
       t.lower_bound OR c.lower_bound, t.secret OR c.secret,
       t.factors,
       param('emission_factor_version')
FROM total t JOIN cells c ON c.code = t.code AND c.period = t.period AND c.sector = t.sector AND c.energy = 'TOUTES'
