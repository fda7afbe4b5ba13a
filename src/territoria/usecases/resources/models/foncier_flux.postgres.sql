-- PostgreSQL parts of foncier_flux.sql (sqlglot cannot translate DuckDB's UNPIVOT over
-- COLUMNS('regex')): the columns are unpivoted through each row's JSON.
-- territoria:part naf
    SELECT w.idcom, kv.key AS colonne, kv.value::DOUBLE PRECISION AS naf_m2
    FROM ref('consommation-espaces-naf') AS w CROSS JOIN LATERAL jsonb_each_text(to_jsonb(w)) AS kv
    WHERE kv.key ~ '^naf[0-9]{2}art[0-9]{2}$' AND kv.value IS NOT NULL
-- territoria:end
-- territoria:part dest
    SELECT w.idcom, kv.key AS colonne, kv.value::DOUBLE PRECISION AS m2
    FROM ref('consommation-espaces-naf') AS w CROSS JOIN LATERAL jsonb_each_text(to_jsonb(w)) AS kv
    WHERE kv.key ~ '^art[0-9]{2}(hab|act|mix|rou|fer|inc)[0-9]{2}$' AND kv.value IS NOT NULL
-- territoria:end
