-- Heat-vulnerability index (method v1), per commune and per IRIS, 0 (least) to 100 (most).
-- Each factor is scaled to [0, 1] on fixed bounds (parameters vc_*_max; values outside are
-- clamped), so a place's score depends on its own factors only, and is comparable between
-- territories and runs:
--   chaleur    = mean of ICU / vc_icu_max and tropical nights / vc_nuits_max (those measured)
--   age        = % of people aged 75+ / vc_75_max
--   isolement  = % of people aged 80+ living alone / vc_80_seuls_max
--   pauvrete   = poverty rate / vc_pauvrete_max
--   fraicheur  = % of the area farther than fraicheur_distance_m from a cool place / 100
-- score = 100 × Σ wᵢ·xᵢ / Σ wᵢ over the factors known for the place (weights vc_poids_*).
-- part_<factor> = 100 × wᵢ·xᵢ / Σ wⱼ·xⱼ: each factor's share of the score (they add up to 100;
-- NULL for a factor left out). A factor that is unknown (no sensor, a secret poverty rate) is
-- left out, never estimated: completeness is the weight of the known factors, masked_share the
-- weight left out by secrecy, estimated_share the weight of the factors an IRIS takes from its
-- commune.
WITH f AS (SELECT * FROM ref('vulnerabilite_chaleur_facteurs')),
w AS (
    SELECT param('vc_poids_chaleur')::DOUBLE AS chaleur, param('vc_poids_age')::DOUBLE AS age,
           param('vc_poids_isolement')::DOUBLE AS isolement, param('vc_poids_pauvrete')::DOUBLE AS pauvrete,
           param('vc_poids_fraicheur')::DOUBLE AS fraicheur
),
n AS (
    SELECT f.*,
           CASE WHEN f.icu IS NULL AND f.nuits IS NULL THEN NULL
                ELSE (CASE WHEN f.icu IS NOT NULL THEN greatest(0.0, least(1.0, f.icu / param('vc_icu_max'))) ELSE 0.0 END
                      + CASE WHEN f.nuits IS NOT NULL THEN greatest(0.0, least(1.0, f.nuits / param('vc_nuits_max'))) ELSE 0.0 END)
                     / ((f.icu IS NOT NULL)::INT + (f.nuits IS NOT NULL)::INT) END AS x_chaleur,
           -- DuckDB's least() and greatest() skip NULLs: an unknown factor must stay NULL
           CASE WHEN f.part_75_plus IS NOT NULL THEN greatest(0.0, least(1.0, f.part_75_plus / param('vc_75_max'))) END AS x_age,
           CASE WHEN f.part_80_seuls IS NOT NULL THEN greatest(0.0, least(1.0, f.part_80_seuls / param('vc_80_seuls_max'))) END
               AS x_isolement,
           CASE WHEN f.pauvrete IS NOT NULL THEN greatest(0.0, least(1.0, f.pauvrete / param('vc_pauvrete_max'))) END AS x_pauvrete,
           CASE WHEN f.manque_fraicheur IS NOT NULL THEN greatest(0.0, least(1.0, f.manque_fraicheur / 100.0)) END AS x_fraicheur
    FROM f
),
s AS (
    SELECT n.*,
           w.chaleur * n.x_chaleur AS c_chaleur, w.age * n.x_age AS c_age, w.isolement * n.x_isolement AS c_isolement,
           w.pauvrete * n.x_pauvrete AS c_pauvrete, w.fraicheur * n.x_fraicheur AS c_fraicheur,
           CASE WHEN n.x_chaleur IS NULL THEN 0 ELSE w.chaleur END + CASE WHEN n.x_age IS NULL THEN 0 ELSE w.age END
           + CASE WHEN n.x_isolement IS NULL THEN 0 ELSE w.isolement END
           + CASE WHEN n.x_pauvrete IS NULL THEN 0 ELSE w.pauvrete END
           + CASE WHEN n.x_fraicheur IS NULL THEN 0 ELSE w.fraicheur END AS w_connu,
           w.chaleur + w.age + w.isolement + w.pauvrete + w.fraicheur AS w_total,
           CASE WHEN n.pauvrete_secrete THEN w.pauvrete ELSE 0 END AS w_secret,
           CASE WHEN n.chaleur_commune AND n.x_chaleur IS NOT NULL THEN w.chaleur ELSE 0 END
           + CASE WHEN n.fraicheur_commune AND n.x_fraicheur IS NOT NULL THEN w.fraicheur ELSE 0 END
           + CASE WHEN n.pauvrete_commune AND n.x_pauvrete IS NOT NULL THEN w.pauvrete ELSE 0 END AS w_herite
    FROM n, w
),
t AS (
    SELECT s.*,
           coalesce(c_chaleur, 0) + coalesce(c_age, 0) + coalesce(c_isolement, 0) + coalesce(c_pauvrete, 0)
           + coalesce(c_fraicheur, 0) AS c_total
    FROM s
)
SELECT mesh, code, libelle, period,
       -- 100 × c_total is rounded before the division: with every known factor at its maximum
       -- (c_total = w_connu) the quotient can exceed 100 by one unit in the last place
       CASE WHEN w_connu > 0 THEN least(100.0, 100 * c_total / w_connu) END AS value,
       CASE WHEN w_connu > 0 THEN rank() OVER (PARTITION BY mesh ORDER BY CASE WHEN w_connu > 0 THEN c_total / w_connu END DESC NULLS LAST) END AS rang,
       100 * c_chaleur / nullif(c_total, 0) AS part_chaleur,
       100 * c_age / nullif(c_total, 0) AS part_age,
       100 * c_isolement / nullif(c_total, 0) AS part_isolement,
       100 * c_pauvrete / nullif(c_total, 0) AS part_pauvrete,
       100 * c_fraicheur / nullif(c_total, 0) AS part_fraicheur,
       icu AS icu_intensite, nuits AS nuits_tropicales, part_75_plus, part_80_seuls, pauvrete AS taux_pauvrete,
       manque_fraicheur, commune,
       'v1 bornes fixes ; poids chaleur ' || param('vc_poids_chaleur') || ', âge ' || param('vc_poids_age')
           || ', isolement ' || param('vc_poids_isolement') || ', pauvreté ' || param('vc_poids_pauvrete')
           || ', fraîcheur ' || param('vc_poids_fraicheur') AS methode,
       w_secret / w_total AS masked_share, w_herite / w_total AS estimated_share, w_connu / w_total AS completeness,
       false AS secret
FROM t
