-- Filosofi cells in one long table: one row per place (IRIS, commune) and measure, as INSEE
-- published them. A cell INSEE masked ("s") is masked_input; "nd"/"ns"/"so" are plain missing
-- values. One row per measure comes from a LATERAL VALUES list (DuckDB and PostgreSQL both read
-- it). Published through the secrecy guard (statistical.filosofi): the published copy keeps
-- INSEE's masks and adds the fiscal 11-household rule, and every indicator of the pack reads it.
-- No margin is built here: Filosofi indicators are not additive (medians, rates, deciles).
-- Filosofi 2021 is on the 2022 geography. A commune of the territory merged since with others
-- (Saint-Denis absorbed Pierrefitte-sur-Seine in 2025) has former communes with rows of their own:
-- its own row, if any, describes a smaller place than today's commune and is not published as its
-- value (medians and rates do not add up); the IRIS of its former communes are its IRIS.
WITH former AS (
    SELECT ancien, min(commune) AS commune
    FROM (
        -- territoria:part former
        SELECT unnest(anciens_codes) AS ancien, code AS commune FROM ref('communes-referentiel')
        -- territoria:end
    ) AS a
    GROUP BY ancien
    HAVING count(*) = 1  -- a former commune split between two of today's has no one commune
),
changed AS (
    SELECT DISTINCT former.commune FROM former JOIN ref('filosofi-communes') AS f ON f.CODGEO = former.ancien
),
com AS (
    SELECT f.*, c.nom FROM ref('filosofi-communes') AS f JOIN ref('communes') AS c ON c.code = f.CODGEO
    WHERE f.CODGEO NOT IN (SELECT commune FROM changed)
),
-- an IRIS code starts with its commune's code, its arrondissement's in Paris, Lyon and Marseille, or
-- that of the former commune it was in
iris AS (
    SELECT f.*, c.code AS commune, c.nom FROM ref('filosofi-iris') AS f
    LEFT JOIN former ON former.ancien = left(f.IRIS, 5)
    JOIN ref('communes') AS c ON c.code = coalesce(former.commune, commune_of(left(f.IRIS, 5)))
)
SELECT 'commune' AS mesh, CODGEO AS code, nom AS libelle, param('territory.code') AS parent_code,
       param('filosofi_millesime') AS period, s.measure, s.value, NBMENFISC21 AS nb_menages,
       NBPERSMENFISC21 AS nb_personnes, s.masked OR NBMENFISC21_secret AS masked_input
FROM com CROSS JOIN LATERAL (VALUES
        ('mediane', MED21::DOUBLE, MED21_secret),
        ('taux_pauvrete', TP6021::DOUBLE, TP6021_secret),
        ('d1', D121::DOUBLE, D121_secret),
        ('d9', D921::DOUBLE, D921_secret),
        ('rapport_interdecile', RD21::DOUBLE, RD21_secret),
        ('part_revenus_activite', PACT21::DOUBLE, PACT21_secret),
        ('part_salaires', PTSA21::DOUBLE, PTSA21_secret),
        ('part_chomage', PCHO21::DOUBLE, PCHO21_secret),
        ('part_activites_non_salariees', PBEN21::DOUBLE, PBEN21_secret),
        ('part_pensions', PPEN21::DOUBLE, PPEN21_secret),
        ('part_patrimoine', PPAT21::DOUBLE, PPAT21_secret),
        ('part_prestations_sociales', PPSOC21::DOUBLE, PPSOC21_secret),
        ('part_prestations_familiales', PPFAM21::DOUBLE, PPFAM21_secret),
        ('part_minima_sociaux', PPMINI21::DOUBLE, PPMINI21_secret),
        ('part_prestations_logement', PPLOGT21::DOUBLE, PPLOGT21_secret),
        ('part_impots', PIMPOT21::DOUBLE, PIMPOT21_secret),
        ('part_menages_imposes', PIMP21::DOUBLE, PIMP21_secret)
    ) AS s(measure, value, masked)
UNION ALL
SELECT 'iris', IRIS, 'IRIS ' || right(IRIS, 4) || ' — ' || nom, commune, param('filosofi_millesime'), s.measure, s.value,
       NULL::BIGINT, NULL::BIGINT, s.masked
FROM iris CROSS JOIN LATERAL (VALUES
        ('mediane', DISP_MED21::DOUBLE, DISP_MED21_secret),
        ('taux_pauvrete', DISP_TP6021::DOUBLE, DISP_TP6021_secret),
        ('d1', DISP_D121::DOUBLE, DISP_D121_secret),
        ('d9', DISP_D921::DOUBLE, DISP_D921_secret),
        ('rapport_interdecile', DISP_RD21::DOUBLE, DISP_RD21_secret),
        ('part_revenus_activite', DISP_PACT21::DOUBLE, DISP_PACT21_secret),
        ('part_salaires', DISP_PTSA21::DOUBLE, DISP_PTSA21_secret),
        ('part_chomage', DISP_PCHO21::DOUBLE, DISP_PCHO21_secret),
        ('part_activites_non_salariees', DISP_PBEN21::DOUBLE, DISP_PBEN21_secret),
        ('part_pensions', DISP_PPEN21::DOUBLE, DISP_PPEN21_secret),
        ('part_patrimoine', DISP_PPAT21::DOUBLE, DISP_PPAT21_secret),
        ('part_prestations_sociales', DISP_PPSOC21::DOUBLE, DISP_PPSOC21_secret),
        ('part_prestations_familiales', DISP_PPFAM21::DOUBLE, DISP_PPFAM21_secret),
        ('part_minima_sociaux', DISP_PPMINI21::DOUBLE, DISP_PPMINI21_secret),
        ('part_prestations_logement', DISP_PPLOGT21::DOUBLE, DISP_PPLOGT21_secret),
        ('part_impots', DISP_PIMPOT21::DOUBLE, DISP_PIMPOT21_secret),
        ('q1', DISP_Q121::DOUBLE, DISP_Q121_secret),
        ('q3', DISP_Q321::DOUBLE, DISP_Q321_secret),
        ('gini', DISP_GI21::DOUBLE, DISP_GI21_secret),
        ('s80s20', DISP_S80S2021::DOUBLE, DISP_S80S2021_secret)
    ) AS s(measure, value, masked)
