-- Member communes with the population of the validated file (falling back to the referential).
SELECT
    c.code,
    c.nom,
    c.departement,
    c.departement_nom,
    c.region,
    c.epci,
    coalesce(p.PMUN, c.population) AS population,
    p.PMUN IS NULL AS population_from_referential
FROM ref('communes-referentiel') AS c
LEFT JOIN ref('population-communes') AS p
    ON p.CODGEO = c.code AND p.ANNEE = param('population_year')
ORDER BY c.code
