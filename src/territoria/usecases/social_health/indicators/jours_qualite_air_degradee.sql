-- Days per year whose ATMO index is "Dégradé" (3) or worse, per commune; days without an index
-- (0 indisponible, or no row) lower completeness, they are not counted as good days. 7
-- ("événement", an incident) counts as degraded.
WITH d AS (
    SELECT code_zone AS code, year(date_ech) AS annee, code_qual FROM ref('indice-atmo')
    WHERE code_zone IN (SELECT code FROM ref('communes'))
),
y AS (SELECT annee, date_diff('day', make_date(annee, 1, 1), make_date(annee + 1, 1, 1)) AS jours FROM d GROUP BY annee),
c AS (
    SELECT co.code, co.nom, y.annee, y.jours,
           count(d.code_qual) FILTER (WHERE d.code_qual >= 3) AS degrades,
           count(d.code_qual) FILTER (WHERE d.code_qual BETWEEN 1 AND 7) AS connus
    FROM ref('communes') AS co CROSS JOIN y LEFT JOIN d ON d.code = co.code AND d.annee = y.annee
    GROUP BY co.code, co.nom, y.annee, y.jours
)
SELECT 'commune' AS mesh, code, nom AS libelle, annee AS period,
       CASE WHEN connus > 0 THEN degrades END::DOUBLE AS value, connus AS jours_avec_indice,
       0.0 AS masked_share, 0.0 AS estimated_share, connus / jours AS completeness
FROM c
UNION ALL
SELECT param('territory.mesh'), param('territory.code'), param('territory.name'), annee,
       avg(degrades) FILTER (WHERE connus > 0), sum(connus), 0.0, 0.0, sum(connus) / sum(jours)
FROM c GROUP BY annee
