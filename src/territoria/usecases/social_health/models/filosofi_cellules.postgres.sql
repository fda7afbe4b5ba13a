-- PostgreSQL part of filosofi_cellules.sql: the referential's list of former codes is landed
-- as JSON text there (a VARCHAR[] in DuckDB).
-- territoria:part former
        SELECT a.ancien, c.code AS commune
        FROM ref('communes-referentiel') AS c CROSS JOIN LATERAL jsonb_array_elements_text(c.anciens_codes::jsonb) AS a(ancien)
-- territoria:end
