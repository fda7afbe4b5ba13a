-- SINOE déchèterie tonnages of the territory's départements, with their population (the
-- referential's, one vintage: other years are estimates) and the total of all waste types.
-- The départements' names are the referential's: SINOE's drop accents and capitals
-- ("Cotes-d'Armor", "Hauts-de-seine").
WITH deps AS (
    SELECT DISTINCT departement, departement_nom FROM ref('communes') WHERE departement IS NOT NULL
),
s AS (
    SELECT s.ANNEE AS annee, s.C_DEPT AS departement, deps.departement_nom,
           s.C_TYP_REG_DECHET AS code_type, s.L_TYP_REG_DECHET AS type_dechet, s.TONNAGE_T AS tonnage_t
    FROM ref('sinoe-decheteries') AS s JOIN deps ON deps.departement = s.C_DEPT
),
t AS (
    SELECT annee, departement, departement_nom, code_type, type_dechet, tonnage_t FROM s
    UNION ALL
    SELECT annee, departement, departement_nom, 'TOTAL', 'Tous types', sum(tonnage_t) FROM s GROUP BY ALL
)
SELECT t.*, p.PMUN AS population, p.ANNEE AS population_annee
FROM t LEFT JOIN ref('population-departements') AS p ON p.DEP = t.departement
ORDER BY annee, departement, code_type
