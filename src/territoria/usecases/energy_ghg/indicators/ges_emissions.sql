-- Greenhouse-gas emissions (tCO2e) = consumption (MWh) x factor (kgCO2e/kWh = tCO2e/MWh) of the
-- configured factor version, valid for the year. Totals over energies add the per-energy
-- emissions and are secret when any of them is. Every row records the factors and version used;
-- estimated_share is the share of emissions computed with a factor that is not that year's own.
-- The cells and leaves are read twice rather than materialised (NOT MATERIALIZED): a scan costs
-- less than a copy of millions of rows; the totals carry only keys and numbers through the
-- aggregate (the cells' key: code, period, sector; the mesh follows from the code), their mesh,
-- label and cell attributes come from the TOUTES cell they are joined to, and
-- their factors are a bit set (one bit per factor of the version) spelled out once per total.
-- Emissions are computed and added up as decimals (consumption to 1e-6 MWh, factors to 1e-9):
-- exact, so a total does not depend on the order of addition; published as DOUBLE. The operands
-- are only as wide as they need be (consumption below 10^14 MWh, a factor below 10^9): their
-- product fits DECIMAL(38, 15) without an overflow check per row, the same type and value as
-- two DECIMAL(38) operands would give. A total is converted to DOUBLE once (its value, and the
-- estimated share's denominator): DuckDB converts a DECIMAL(38) to DOUBLE with 128-bit divisions.
-- The share's numerator, the sum of the estimated leaves (estimated is 0 or 1), is taken as
-- DECIMAL(38, 16), the type and value the product value x estimated had, without a product per leaf.
WITH f AS (
    SELECT energy, year, year_from, year_to, value AS factor, factor_id, version,
           CASE WHEN row_number() OVER (ORDER BY factor_id) > 128
                THEN error('ges_emissions: more than 128 emission factors in one version')
                ELSE row_number() OVER (ORDER BY factor_id) - 1 END::UHUGEINT AS bit
    FROM ref('facteurs-emission') WHERE version = param('emission_factor_version')
),
cells AS NOT MATERIALIZED (SELECT * FROM ref('published.energie_cellules')),
leaf AS NOT MATERIALIZED (
    SELECT c.mesh, c.code, c.libelle, c.period, c.sector, c.energy,
           c.consumption_mwh::DECIMAL(20, 6) * f.factor::DECIMAL(18, 9) AS value,
           c.masked_share, c.completeness, c.lower_bound, c.secret, f.factor_id, f.version, f.bit,
           CASE WHEN f.year = c.period THEN 0.0 ELSE 1.0 END AS estimated
    FROM cells c JOIN f ON f.energy = c.energy AND c.period BETWEEN f.year_from AND f.year_to
),
total AS (
    SELECT l.code, l.period, l.sector, 'TOUTES' AS energy, sum(l.value)::DOUBLE AS value,
           coalesce(sum(l.value) FILTER (WHERE l.estimated = 1.0), 0)::DECIMAL(38, 16)::DOUBLE AS estimated_value,
           max(l.estimated) AS estimated,
           bool_or(l.secret) AS secret, bool_or(l.lower_bound) AS lower_bound,
           bit_or(1::UHUGEINT << l.bit) AS factor_bits
    FROM leaf l GROUP BY l.code, l.period, l.sector
)
SELECT mesh, code, libelle, period, sector, energy, value::DOUBLE AS value, masked_share, estimated AS estimated_share,
       completeness, lower_bound, secret, factor_id AS emission_factors, version AS emission_factor_version
FROM leaf
UNION ALL
SELECT c.mesh, t.code, c.libelle, t.period, t.sector, t.energy, CASE WHEN t.secret THEN NULL ELSE t.value END,
       c.masked_share, coalesce(t.estimated_value / nullif(t.value, 0), t.estimated),
       c.completeness,
       t.lower_bound OR c.lower_bound, t.secret OR c.secret,
       (SELECT array_to_string(list(factor_id ORDER BY factor_id), ',') FROM f WHERE (t.factor_bits >> f.bit) & 1 = 1),
       param('emission_factor_version')
FROM total t JOIN cells c ON c.code = t.code AND c.period = t.period AND c.sector = t.sector AND c.energy = 'TOUTES'
