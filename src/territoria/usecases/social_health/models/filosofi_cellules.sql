-- Filosofi cells in one long table: one row per place (IRIS, commune) and measure, as INSEE
-- published them. A cell INSEE masked ("s") is masked_input; "nd"/"ns"/"so" are plain missing
-- values. Published through the secrecy guard (statistical.filosofi): the published copy keeps
-- INSEE's masks and adds the fiscal 11-household rule, and every indicator of the pack reads it.
-- No margin is built here: Filosofi indicators are not additive (medians, rates, deciles).
WITH com AS (
    SELECT f.*, c.nom, c.epci FROM ref('filosofi-communes') AS f JOIN ref('communes') AS c ON c.code = f.CODGEO
),
iris AS (
    SELECT f.*, c.code AS commune, c.nom FROM ref('filosofi-iris') AS f JOIN ref('communes') AS c ON c.code = left(f.IRIS, 5)
)
SELECT 'commune' AS mesh, CODGEO AS code, nom AS libelle, coalesce(nullif(epci, ''), 'territoire') AS parent_code,
       param('filosofi_millesime') AS period, s.measure, s.value, NBMENFISC21 AS nb_menages,
       NBPERSMENFISC21 AS nb_personnes, s.masked OR NBMENFISC21_secret AS masked_input
FROM com, unnest([
        {'measure': 'mediane', 'value': MED21::DOUBLE, 'masked': MED21_secret},
        {'measure': 'taux_pauvrete', 'value': TP6021::DOUBLE, 'masked': TP6021_secret},
        {'measure': 'd1', 'value': D121::DOUBLE, 'masked': D121_secret},
        {'measure': 'd9', 'value': D921::DOUBLE, 'masked': D921_secret},
        {'measure': 'rapport_interdecile', 'value': RD21::DOUBLE, 'masked': RD21_secret},
        {'measure': 'part_revenus_activite', 'value': PACT21::DOUBLE, 'masked': PACT21_secret},
        {'measure': 'part_salaires', 'value': PTSA21::DOUBLE, 'masked': PTSA21_secret},
        {'measure': 'part_chomage', 'value': PCHO21::DOUBLE, 'masked': PCHO21_secret},
        {'measure': 'part_activites_non_salariees', 'value': PBEN21::DOUBLE, 'masked': PBEN21_secret},
        {'measure': 'part_pensions', 'value': PPEN21::DOUBLE, 'masked': PPEN21_secret},
        {'measure': 'part_patrimoine', 'value': PPAT21::DOUBLE, 'masked': PPAT21_secret},
        {'measure': 'part_prestations_sociales', 'value': PPSOC21::DOUBLE, 'masked': PPSOC21_secret},
        {'measure': 'part_prestations_familiales', 'value': PPFAM21::DOUBLE, 'masked': PPFAM21_secret},
        {'measure': 'part_minima_sociaux', 'value': PPMINI21::DOUBLE, 'masked': PPMINI21_secret},
        {'measure': 'part_prestations_logement', 'value': PPLOGT21::DOUBLE, 'masked': PPLOGT21_secret},
        {'measure': 'part_impots', 'value': PIMPOT21::DOUBLE, 'masked': PIMPOT21_secret},
        {'measure': 'part_menages_imposes', 'value': PIMP21::DOUBLE, 'masked': PIMP21_secret}
    ]) AS u(s)
UNION ALL
SELECT 'iris', IRIS, 'IRIS ' || right(IRIS, 4) || ' — ' || nom, commune, param('filosofi_millesime'), s.measure, s.value,
       NULL::BIGINT, NULL::BIGINT, s.masked
FROM iris, unnest([
        {'measure': 'mediane', 'value': DISP_MED21::DOUBLE, 'masked': DISP_MED21_secret},
        {'measure': 'taux_pauvrete', 'value': DISP_TP6021::DOUBLE, 'masked': DISP_TP6021_secret},
        {'measure': 'd1', 'value': DISP_D121::DOUBLE, 'masked': DISP_D121_secret},
        {'measure': 'd9', 'value': DISP_D921::DOUBLE, 'masked': DISP_D921_secret},
        {'measure': 'rapport_interdecile', 'value': DISP_RD21::DOUBLE, 'masked': DISP_RD21_secret},
        {'measure': 'part_revenus_activite', 'value': DISP_PACT21::DOUBLE, 'masked': DISP_PACT21_secret},
        {'measure': 'part_salaires', 'value': DISP_PTSA21::DOUBLE, 'masked': DISP_PTSA21_secret},
        {'measure': 'part_chomage', 'value': DISP_PCHO21::DOUBLE, 'masked': DISP_PCHO21_secret},
        {'measure': 'part_activites_non_salariees', 'value': DISP_PBEN21::DOUBLE, 'masked': DISP_PBEN21_secret},
        {'measure': 'part_pensions', 'value': DISP_PPEN21::DOUBLE, 'masked': DISP_PPEN21_secret},
        {'measure': 'part_patrimoine', 'value': DISP_PPAT21::DOUBLE, 'masked': DISP_PPAT21_secret},
        {'measure': 'part_prestations_sociales', 'value': DISP_PPSOC21::DOUBLE, 'masked': DISP_PPSOC21_secret},
        {'measure': 'part_prestations_familiales', 'value': DISP_PPFAM21::DOUBLE, 'masked': DISP_PPFAM21_secret},
        {'measure': 'part_minima_sociaux', 'value': DISP_PPMINI21::DOUBLE, 'masked': DISP_PPMINI21_secret},
        {'measure': 'part_prestations_logement', 'value': DISP_PPLOGT21::DOUBLE, 'masked': DISP_PPLOGT21_secret},
        {'measure': 'part_impots', 'value': DISP_PIMPOT21::DOUBLE, 'masked': DISP_PIMPOT21_secret},
        {'measure': 'q1', 'value': DISP_Q121::DOUBLE, 'masked': DISP_Q121_secret},
        {'measure': 'q3', 'value': DISP_Q321::DOUBLE, 'masked': DISP_Q321_secret},
        {'measure': 'gini', 'value': DISP_GI21::DOUBLE, 'masked': DISP_GI21_secret},
        {'measure': 's80s20', 'value': DISP_S80S2021::DOUBLE, 'masked': DISP_S80S2021_secret}
    ]) AS u(s)
