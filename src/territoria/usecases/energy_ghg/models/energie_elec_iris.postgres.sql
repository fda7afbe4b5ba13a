-- PostgreSQL parts of energie_elec_iris.sql (sqlglot cannot translate DuckDB's multi-column
-- UNPIVOT): the territory's communes as an array, and the sectors unpivoted by a LATERAL VALUES
-- list; the rest of the query is the base's.
-- territoria:part communes
    SELECT * FROM ref('conso-elec-iris') WHERE commune_of(code_commune) = ANY(ARRAY param('territory.communes'))
-- territoria:end
-- territoria:part sectors
    -- every sector of every row, null values included: a masked cell stays a (masked) component;
    -- a cell is masked when its count or its consumption is ("s"): either leaves the value unknown
    SELECT w.*, u.sector, u.nb_sites, u.consumption_mwh, u.masked
    FROM wide AS w CROSS JOIN LATERAL (VALUES
        ('residentiel', w.nb_sites_residentiel, w.conso_totale_residentiel_mwh,
            w.nb_sites_residentiel_secret OR w.conso_totale_residentiel_mwh_secret),
        ('professionnel', w.nb_sites_professionnel, w.conso_totale_professionnel_mwh,
            w.nb_sites_professionnel_secret OR w.conso_totale_professionnel_mwh_secret),
        ('agriculture', w.nb_sites_agriculture, w.conso_totale_agriculture_mwh,
            w.nb_sites_agriculture_secret OR w.conso_totale_agriculture_mwh_secret),
        ('industrie', w.nb_sites_industrie, w.conso_totale_industrie_mwh,
            w.nb_sites_industrie_secret OR w.conso_totale_industrie_mwh_secret),
        ('tertiaire', w.nb_sites_tertiaire, w.conso_totale_tertiaire_mwh,
            w.nb_sites_tertiaire_secret OR w.conso_totale_tertiaire_mwh_secret),
        ('non_affecte', w.nb_sites_secteur_non_affecte, w.conso_totale_secteur_non_affecte_mwh,
            w.nb_sites_secteur_non_affecte_secret OR w.conso_totale_secteur_non_affecte_mwh_secret)
    ) AS u(sector, nb_sites, consumption_mwh, masked)
-- territoria:end
