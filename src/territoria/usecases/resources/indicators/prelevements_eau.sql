-- Water withdrawn per year (m³) by use, by commune of the ouvrage and for the territory, with
-- the volume per inhabitant (municipal population of the territory pack's vintage).
WITH p AS (
    SELECT w.code_commune_insee AS code, c.nom, w.annee, coalesce(w.libelle_usage, w.code_usage) AS usage, w.volume,
           c.population
    FROM ref('prelevements-eau') AS w JOIN ref('communes') AS c ON c.code = w.code_commune_insee
),
u AS (
    SELECT code, nom, annee, usage, sum(volume) AS volume, any_value(population) AS population FROM p GROUP BY ALL
    UNION ALL
    SELECT code, nom, annee, 'TOUS', sum(volume), any_value(population) FROM p GROUP BY ALL
)
SELECT 'commune' AS mesh, code, nom AS libelle, annee AS period, usage, volume AS value,
       volume / nullif(population, 0) AS m3_par_habitant,
       0.0 AS masked_share, 0.0 AS estimated_share, 1.0 AS completeness
FROM u
UNION ALL
SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), annee, usage, sum(volume),
       sum(volume) / (SELECT sum(population) FROM ref('communes')), 0.0, 0.0, 1.0
FROM u GROUP BY annee, usage
