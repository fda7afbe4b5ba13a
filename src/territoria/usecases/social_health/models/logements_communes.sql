-- Dwelling stock and DPE counts of the territory's communes, published through statistical.dpe
-- (a commune with fewer than 10 certificates has its F/G count secret).
SELECT 'commune' AS mesh, c.code, c.nom AS libelle, param('filosofi_millesime') AS period,
       l.P21_RP_ACHTOT AS rp_total, l.P21_RP_ACH1919 + l.P21_RP_ACH1945 + l.P21_RP_ACH1970 AS rp_avant_1971,
       l.nb_dpe, l.nb_dpe_f_g
FROM ref('communes') AS c JOIN ref('logements-communes') AS l ON l.CODGEO = c.code
