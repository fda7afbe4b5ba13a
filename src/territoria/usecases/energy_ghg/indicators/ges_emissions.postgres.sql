-- PostgreSQL variant of ges_emissions.sql (PostgreSQL has no 128-bit integers: the factor bit set is
-- a bit(128) string here). Same rows, same columns and types; keep both in step.
WITH factors AS (
    SELECT *, max(year_to) OVER (PARTITION BY energy ORDER BY year_from, factor_id
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_to,
           lag(factor_id) OVER (PARTITION BY energy ORDER BY year_from, factor_id) AS previous_id
    FROM ref('facteurs-emission') WHERE version = param('emission_factor_version')
),
f AS (
    SELECT energy, year, year_from, year_to, value AS factor, factor_id, version,
           CASE WHEN row_number() OVER (ORDER BY factor_id) > 128
                THEN territoria_error('ges_emissions: more than 128 emission factors in one version', 0::bigint)
                ELSE row_number() OVER (ORDER BY factor_id) - 1 END AS bit
    FROM factors
    WHERE CASE WHEN year_from <= previous_to
               THEN territoria_error('facteurs-emission: the factor ' || factor_id || ' of ' || energy || ' applies from ' || year_from::text || ' while an earlier one (' || previous_id || ') applies until ' || previous_to::text || ': give each year of an energy one factor of version ' || version || ' (year_from, year_to)', true)
               ELSE true END
),
cells AS NOT MATERIALIZED (SELECT * FROM ref('published.energie_cellules')),
leaf AS NOT MATERIALIZED (
    SELECT c.mesh, c.code, c.libelle, c.period, c.sector, c.energy,
           c.consumption_mwh::DECIMAL(38, 6) * f.factor::DECIMAL(38, 9) AS value,
           c.masked_share, c.completeness, c.lower_bound, c.secret, f.factor_id, f.version, f.bit,
           CASE WHEN f.year = c.period THEN 0.0 ELSE 1.0 END AS estimated
    FROM cells c JOIN f ON f.energy = c.energy AND c.period BETWEEN f.year_from AND f.year_to
),
total AS (
    SELECT l.mesh, l.code, l.period, l.sector, 'TOUTES' AS energy,
           CASE WHEN bool_or(l.secret) THEN NULL ELSE sum(l.value) END AS value,
           bool_or(l.secret) AS secret, bool_or(l.lower_bound) AS lower_bound,
           bit_or(set_bit(repeat('0', 128)::bit(128), l.bit::int, 1)) AS factor_bits,
           coalesce(sum(l.value * l.estimated) / nullif(sum(l.value), 0), max(l.estimated)) AS estimated
    FROM leaf l GROUP BY l.mesh, l.code, l.period, l.sector
)
SELECT mesh, code, libelle, period, sector, energy, value::DOUBLE PRECISION AS value, masked_share,
       estimated::DOUBLE PRECISION AS estimated_share,
       completeness, lower_bound, secret, factor_id AS emission_factors, version AS emission_factor_version
FROM leaf
UNION ALL
SELECT t.mesh, t.code, c.libelle, t.period, t.sector, t.energy, t.value::DOUBLE PRECISION, c.masked_share, t.estimated::DOUBLE PRECISION,
       c.completeness,
       t.lower_bound OR c.lower_bound, t.secret OR c.secret,
       (SELECT string_agg(factor_id, ',' ORDER BY factor_id) FROM f WHERE get_bit(t.factor_bits, f.bit::int) = 1),
       param('emission_factor_version')
FROM total t JOIN cells c ON c.code = t.code AND c.period = t.period AND c.sector = t.sector AND c.energy = 'TOUTES'
