"""The few DuckDB functions pack SQL uses that PostgreSQL 15 lacks, in schema ``territoria_compat``.

sqlglot translates syntax; these fill the gaps in the function library (``any_value`` arrived in
PostgreSQL 16, ``round(double, int)`` does not exist, DuckDB's ``error()`` raises, ``hash(row)`` fingerprints
a table: PostgreSQL's own row hash, so fingerprints compare within one engine only). They are
created once per database, in a schema of their own placed last on the search path.
"""

from __future__ import annotations

SCHEMA = "territoria_compat"
VERSION = "2"

FUNCTIONS = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE OR REPLACE FUNCTION {SCHEMA}.territoria_error(message text) RETURNS text
    LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '%', message; END $$;
CREATE OR REPLACE FUNCTION {SCHEMA}.round(value double precision, digits integer) RETURNS double precision
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT round(value::numeric, digits)::double precision $$;
CREATE OR REPLACE FUNCTION {SCHEMA}._any_value_step(state anyelement, value anyelement) RETURNS anyelement
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce(state, value) $$;
CREATE OR REPLACE FUNCTION {SCHEMA}.hash(r anyelement) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT hash_record_extended(r, 0) $$;
DROP AGGREGATE IF EXISTS {SCHEMA}.any_value(anyelement);
CREATE AGGREGATE {SCHEMA}.any_value(anyelement) (SFUNC = {SCHEMA}._any_value_step, STYPE = anyelement);
COMMENT ON SCHEMA {SCHEMA} IS 'territoria compat {VERSION}';
"""

INSTALLED = (
    f"SELECT obj_description(oid, 'pg_namespace') = 'territoria compat {VERSION}' "
    f"FROM pg_namespace WHERE nspname = '{SCHEMA}'"
)
