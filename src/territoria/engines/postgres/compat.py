"""The few DuckDB functions pack SQL uses that PostgreSQL 15 lacks, in schema ``territoria_compat``.

sqlglot translates syntax; these fill the gaps in the function library (``any_value`` arrived in
PostgreSQL 16, ``round(double, int)`` and ``list_sum`` do not exist, DuckDB's ``error()`` raises,
``hash(row)`` fingerprints a table: the md5 of the row's text, so fingerprints compare within one
engine only; geometry has no hash of PostgreSQL's own). They are created once per database, in a
schema of their own placed last on the search path.
"""

from __future__ import annotations

from territoria.engines.pack_errors import SQLSTATE

SCHEMA = "territoria_compat"
VERSION = "7"

FUNCTIONS = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE OR REPLACE FUNCTION {SCHEMA}.territoria_error(message text) RETURNS text
    LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION USING MESSAGE = message, ERRCODE = '{SQLSTATE}'; END $$;
CREATE OR REPLACE FUNCTION {SCHEMA}.territoria_error(message text, typed_like anycompatible)
    RETURNS anycompatible
    LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION USING MESSAGE = message, ERRCODE = '{SQLSTATE}'; END $$;
CREATE OR REPLACE FUNCTION {SCHEMA}.round(value double precision, digits integer) RETURNS double precision
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT round(value::numeric, digits)::double precision $$;
CREATE OR REPLACE FUNCTION {SCHEMA}._any_value_step(state anyelement, value anyelement) RETURNS anyelement
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce(state, value) $$;
CREATE OR REPLACE FUNCTION {SCHEMA}.hash(r anyelement) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT ('x' || substr(md5(r::text), 1, 16))::bit(64)::bigint $$;
CREATE OR REPLACE FUNCTION {SCHEMA}.try_cast(value text, INOUT result anyelement)
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    BEGIN result := value; EXCEPTION WHEN others THEN result := NULL; END $$;
CREATE OR REPLACE FUNCTION {SCHEMA}.regexp_full_match(value text, pattern text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT value ~ ('^(?:' || pattern || ')$') $$;
CREATE OR REPLACE FUNCTION {SCHEMA}.strftime_to_pg(fmt text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT replace(replace(replace(replace(replace(replace(replace(replace(fmt,
        '%Y', 'YYYY'), '%m', 'MM'), '%d', 'DD'), '%H', 'HH24'), '%M', 'MI'), '%S', 'SS'), '%y', 'YY'), '%j', 'DDD') $$;
CREATE OR REPLACE FUNCTION {SCHEMA}.try_strptime(value text, fmt text) RETURNS timestamp
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    DECLARE pg text := {SCHEMA}.strftime_to_pg(fmt); parsed timestamp;
    BEGIN
        parsed := to_timestamp(value, pg)::timestamp;
        -- to_timestamp is lenient (2024-02-30 rolls over): DuckDB's strptime is not
        IF to_char(parsed, pg) <> value THEN RETURN NULL; END IF;
        RETURN parsed;
    EXCEPTION WHEN others THEN RETURN NULL;
    END $$;
CREATE OR REPLACE FUNCTION {SCHEMA}.strptime(value text, fmt text) RETURNS timestamp
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT to_timestamp(value, {SCHEMA}.strftime_to_pg(fmt))::timestamp $$;
-- DuckDB's list_sum: the elements added in the list's order (a pack sorts a list to fix the order
-- of a double sum), NULLs left out, NULL for no element, as sum() does
CREATE OR REPLACE FUNCTION {SCHEMA}.list_sum(items double precision[]) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT sum(v) FROM unnest(items) AS u(v) $$;
CREATE OR REPLACE FUNCTION {SCHEMA}.list_sum(items numeric[]) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT sum(v) FROM unnest(items) AS u(v) $$;
DROP AGGREGATE IF EXISTS {SCHEMA}.any_value(anyelement);
CREATE AGGREGATE {SCHEMA}.any_value(anyelement) (SFUNC = {SCHEMA}._any_value_step, STYPE = anyelement);
COMMENT ON SCHEMA {SCHEMA} IS 'territoria compat {VERSION}';
"""

INSTALLED = (
    f"SELECT obj_description(oid, 'pg_namespace') = 'territoria compat {VERSION}' "
    f"FROM pg_namespace WHERE nspname = '{SCHEMA}'"
)
