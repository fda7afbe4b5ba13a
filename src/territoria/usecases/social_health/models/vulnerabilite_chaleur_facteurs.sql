-- The raw factors of the heat-vulnerability index, per commune and per IRIS, in their own units:
-- measured heat (climate pack: nocturnal heat-island intensity °C, tropical nights), people aged
-- 75 and over and 80 and over living alone (% of the population), poverty rate (%, published
-- Filosofi cells only: a secret rate is NULL and flagged, never estimated), and the share of the
-- area farther than fraicheur_distance_m from a cool place (%).
-- An IRIS takes its commune's heat and cool-place access (no IRIS boundaries or IRIS sensors are
-- shipped) and, where INSEE publishes no IRIS rate (communes under 5,000 inhabitants, IRIS "nd"),
-- its commune's poverty rate: those factors are flagged `*_commune` (inherited).
WITH icu AS (SELECT code, period, value::DOUBLE AS icu FROM ref('published.icu_intensite_commune') WHERE mesh = 'commune'),
nuits AS (SELECT code, value AS nuits FROM ref('published.nuits_tropicales') WHERE mesh = 'commune'),
periode AS (SELECT coalesce(max(period), CAST(param('filosofi_millesime') AS VARCHAR)) AS period FROM icu),
pauv AS (
    SELECT mesh, code, value AS pauvrete, secret AS pauvrete_secrete
    FROM ref('published.filosofi_cellules') WHERE measure = 'taux_pauvrete'
),
-- INSEE's infra-communal bases name an IRIS of Paris, Lyon or Marseille's commune by its arrondissement
pop AS (
    SELECT IRIS AS iris, commune_of(COM) AS commune, P21_POP AS pop, P21_POP75P AS p75, P21_POP80P_PSEUL AS p80_seuls
    FROM ref('population-iris') WHERE commune_of(COM) IN (SELECT code FROM ref('communes'))
),
com AS (
    SELECT co.code, co.nom, sum(pop.pop) AS pop, sum(pop.p75) AS p75, sum(pop.p80_seuls) AS p80_seuls
    FROM ref('communes') AS co LEFT JOIN pop ON pop.commune = co.code GROUP BY co.code, co.nom
),
commune AS (
    SELECT 'commune' AS mesh, com.code, com.nom AS libelle, com.code AS commune, icu.icu, nuits.nuits,
           100 * com.p75 / nullif(com.pop, 0) AS part_75_plus,
           100 * com.p80_seuls / nullif(com.pop, 0) AS part_80_seuls,
           pauv.pauvrete, coalesce(pauv.pauvrete_secrete, false) AS pauvrete_secrete, false AS pauvrete_commune,
           100 * (1 - f.part_couverte) AS manque_fraicheur, f.nb_lieux AS lieux_frais, com.pop AS population
    FROM com
    LEFT JOIN icu USING (code) LEFT JOIN nuits USING (code)
    LEFT JOIN pauv ON pauv.mesh = 'commune' AND pauv.code = com.code
    LEFT JOIN ref('lieux_frais_couverture') AS f ON f.code = com.code
)
SELECT mesh, code, libelle, commune, periode.period, icu, nuits, part_75_plus, part_80_seuls, pauvrete, pauvrete_secrete,
       pauvrete_commune, manque_fraicheur, lieux_frais, population, false AS chaleur_commune, false AS fraicheur_commune
FROM commune, periode
UNION ALL
SELECT 'iris', pop.iris,
       CASE WHEN right(pop.iris, 4) = '0000' THEN c.libelle || ' (commune non découpée)'
            ELSE 'IRIS ' || right(pop.iris, 4) || ' — ' || c.libelle END,
       c.code, periode.period, c.icu, c.nuits,
       100 * pop.p75 / nullif(pop.pop, 0), 100 * pop.p80_seuls / nullif(pop.pop, 0),
       CASE WHEN pi.code IS NOT NULL AND (pi.pauvrete IS NOT NULL OR pi.pauvrete_secrete) THEN pi.pauvrete ELSE c.pauvrete END,
       CASE WHEN pi.code IS NOT NULL AND (pi.pauvrete IS NOT NULL OR pi.pauvrete_secrete) THEN pi.pauvrete_secrete
            ELSE c.pauvrete_secrete END,
       NOT (pi.code IS NOT NULL AND (pi.pauvrete IS NOT NULL OR pi.pauvrete_secrete)),
       c.manque_fraicheur, NULL, pop.pop, true, true
FROM pop JOIN commune AS c ON c.code = pop.commune
LEFT JOIN pauv AS pi ON pi.mesh = 'iris' AND pi.code = pop.iris
CROSS JOIN periode
