-- Greenhouse-gas emissions (tCO2e) = consumption (MWh) x factor (kgCO2e/kWh = tCO2e/MWh) of the
-- configured factor version, valid for the year. Totals over energies add the per-energy
-- emissions and are secret when any of them is. Every row records the factors and version used;
-- estimated_share is the share of emissions computed with a factor that is not that year's own.
-- The cells and leaves are read more than once rather than materialised (NOT MATERIALIZED): a scan
-- costs less than a copy of millions of rows.
-- A total is the TOUTES cell with its electricity and gas leaves joined to it (energie_cellules
-- publishes these three cells for every commune or territory x sector x year, and no other
-- energy): two joins on the cell's key cost less than grouping every leaf by that key and joining
-- the groups back to the TOUTES cell for its mesh, label and attributes (-5 % CPU at 10 years,
-- identical rows). A leaf without a factor for its year has no emissions and is left out of the
-- total; a cell has one factor per version: factors of one energy whose years overlap would count a
-- leaf twice, and stop the run with which ones (a Base Empreinte export holds several rows a year).
-- Emissions are computed and added up as decimals (consumption to 1e-6 MWh, factors to 1e-9):
-- exact, so a total does not depend on the order of addition; published as DOUBLE. The operands
-- are only as wide as they need be (consumption below 10^13 MWh, a factor below 10^9): their
-- product, DECIMAL(37, 15), needs no overflow check per row and has the value two DECIMAL(38)
-- operands would give, and Spark keeps all its digits (wider operands make Spark round products
-- to 6 decimals). The same SQL runs translated on PostgreSQL and Spark (same rows, tested). A
-- total is converted to DOUBLE once per use (its value, and the estimated share's denominator).
-- The share's numerator, the estimated leaves' emissions, is taken as DECIMAL(38, 16).
-- DuckDB converts a 128-bit decimal (width above 18) to DOUBLE with a bit-by-bit 128-bit division,
-- about 0.5 us a value, whatever its size: 1.5 s CPU of this statement's 7.6 at 10 years. A value
-- that fits 18 digits at the same scale (below 1,000 t at scale 15, 100 at 16: 97 % of the cells)
-- is narrowed first, exactly, and converted with 64-bit arithmetic, to the same double (the same
-- integer and fraction parts; checked on the national bench's 7 M rows, and the reproducibility
-- test's fingerprints); PostgreSQL and Spark round a decimal to the nearest double either way.
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
e AS NOT MATERIALIZED (SELECT * FROM leaf WHERE energy = 'electricite'),
z AS NOT MATERIALIZED (SELECT * FROM leaf WHERE energy = 'gaz')
SELECT mesh, code, libelle, period, sector, energy,
       CASE WHEN abs(value) < 1000 THEN value::DECIMAL(18, 15)::DOUBLE ELSE value::DOUBLE END AS value, masked_share, estimated AS estimated_share,
       completeness, lower_bound, secret, factor_id AS emission_factors, version AS emission_factor_version
FROM leaf
UNION ALL
SELECT mesh, code, libelle, period, sector, 'TOUTES', CASE WHEN secret_leaf THEN NULL ELSE total END, masked_share,
       coalesce(estimated / nullif(total, 0), estimated_leaf), completeness, lower_bound, secret, emission_factors,
       param('emission_factor_version')
FROM (
    SELECT *, CASE WHEN abs(total_exact) < 1000 THEN total_exact::DECIMAL(18, 15)::DOUBLE
                   ELSE total_exact::DOUBLE END AS total,
              CASE WHEN abs(estimated_exact) < 100 THEN estimated_exact::DECIMAL(18, 16)::DOUBLE
                   ELSE estimated_exact::DOUBLE END AS estimated
    FROM (
        SELECT c.mesh, c.code, c.libelle, c.period, c.sector, c.masked_share, c.completeness,
               coalesce(e.secret, false) OR coalesce(z.secret, false) AS secret_leaf,
               CASE WHEN e.value IS NULL AND z.value IS NULL THEN NULL
                    ELSE coalesce(e.value, 0) + coalesce(z.value, 0) END AS total_exact,
               (CASE WHEN e.estimated = 1.0 THEN coalesce(e.value, 0) ELSE 0 END
                + CASE WHEN z.estimated = 1.0 THEN coalesce(z.value, 0) ELSE 0 END)::DECIMAL(38, 16) AS estimated_exact,
               greatest(e.estimated, z.estimated) AS estimated_leaf,
               coalesce(e.lower_bound, false) OR coalesce(z.lower_bound, false) OR c.lower_bound AS lower_bound,
               coalesce(e.secret, false) OR coalesce(z.secret, false) OR c.secret AS secret,
               CASE WHEN e.factor_id IS NULL THEN z.factor_id WHEN z.factor_id IS NULL THEN e.factor_id
                    WHEN e.factor_id <= z.factor_id THEN e.factor_id || ',' || z.factor_id
                    ELSE z.factor_id || ',' || e.factor_id END AS emission_factors
        FROM cells c LEFT JOIN e ON e.code = c.code AND e.period = c.period AND e.sector = c.sector
        LEFT JOIN z ON z.code = c.code AND z.period = c.period AND z.sector = c.sector
        WHERE c.energy = 'TOUTES' AND (e.code IS NOT NULL OR z.code IS NOT NULL)
    ) AS exact
) AS converted
