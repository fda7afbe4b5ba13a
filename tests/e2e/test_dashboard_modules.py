"""The dashboard's JavaScript modules, run in Chromium as the page loads them: French formatting,
quality flags in plain words, choropleth classes, the trend chart with a target trajectory."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import Server, screenshot

pytestmark = pytest.mark.slow


def run_module(page: Any, server: Server, script: str) -> Any:
    """Evaluate `script` (an async function body) with the modules imported as `m.<name>`."""
    if not page.url.startswith(server.url):
        page.goto(f"{server.url}/#/executions")
        page.wait_for_selector("main h1")
        page.evaluate(
            """async () => {
                const names = ["format", "quality", "choropleth", "chart", "indicator-data", "lineage", "ratios",
                  "labels"];
                window.__modules = {};
                for (const n of names) window.__modules[n.replace("-", "_")] = await import(`/static/js/${n}.js`);
            }"""
        )
    # The page's Content-Security-Policy forbids eval: the body goes through playwright instead.
    return page.evaluate(f"async () => {{ const m = window.__modules; {script} }}")


def normal(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_french_number_formats(page: Any, server: Server) -> None:
    out = run_module(
        page,
        server,
        "return [m.format.formatNumber(1234567.891, 1), m.format.formatValue(675.4, 'hab/km²', 1),"
        " m.format.formatShare(0.12), m.format.formatShare(0.004), m.format.formatNumber(null), "
        " m.format.formatDateTime('2026-11-30 04:25:15.1601'), m.format.formatPeriod('2025-06-01/2025-08-31'),"
        " m.format.formatPeriod(2022)]",
    )
    assert [normal(x) for x in out[:5]] == ["1 234 567,9", "675,4 hab/km²", "12 %", "0,4 %", "—"]
    assert "2026" in out[5] and "nov." in out[5]
    assert out[6:] == ["1 juin – 31 août 2025", "2022"]


def test_quality_flags_in_plain_words(page: Any, server: Server) -> None:
    notes = run_module(
        page,
        server,
        "const q = m.quality.qualityNotes;"
        "return [q({value: 10, masked_share: 0.12, estimated_share: 0.35, completeness: 0.95}).map(n => n.text),"
        " q({value: null, secret: true}).map(n => n.text), q({value: 1, masked_share: 0, estimated_share: 0,"
        " completeness: 1}).map(n => n.text), m.quality.communeSummary([{value: 1, secret: true},"
        " {value: 2, estimated_share: 1}, {value: null, completeness: 0}]).map(n => n.text)]",
    )
    partial, secret, clean, summary = ([normal(t) for t in group] for group in notes)
    assert partial[0].startswith("12 % des valeurs masquées par le secret statistique")
    assert partial[1] == "35 % de la valeur repose sur des valeurs estimées."
    assert partial[2].startswith("Complétude 95 %")
    assert secret == ["Valeur masquée par le secret statistique (trop peu de sources pour la publier)."]
    assert clean == ["Données complètes, ni estimées ni masquées."]
    assert summary == [
        "1 commune sur 3 communes dont la valeur est masquée par le secret statistique.",
        "1 commune sur 3 communes avec des valeurs estimées.",
        "1 commune sur 3 communes sans valeur.",
    ]


def test_masked_is_never_counted_as_missing(page: Any, server: Server) -> None:
    summary = run_module(
        page,
        server,
        "return m.quality.communeSummary([{value: null, secret: true}, {value: null, secret: true},"
        " {value: 3, masked_share: 0.2}, {value: null}]).map(n => n.text);",
    )
    assert [normal(t) for t in summary] == [
        "2 communes sur 4 communes dont la valeur est masquée par le secret statistique.",
        "1 commune sur 4 communes dont une partie de la valeur est masquée par le secret statistique.",
        "1 commune sur 4 communes sans valeur.",
    ]


def test_legend_names_masked_apart_from_missing(page: Any, server: Server) -> None:
    text = run_module(
        page,
        server,
        "const s = m.choropleth.classify([1, 2, 3]);"
        "return m.choropleth.legend(s, [1, 2, 3, null], {unit: 'MWh/hab', decimals: 1, masked: 2}).textContent;",
    )
    assert "masquée par le secret statistique (2 communes)" in normal(text)
    assert "pas de donnée (1 commune)" in normal(text)


def test_per_inhabitant_and_per_area_views(page: Any, server: Server) -> None:
    out = run_module(
        page,
        server,
        "const r = m.ratios;"
        # A 0.01° x 0.01° square at 48° N: 1.1119 km x 0.7440 km.
        "const square = {type: 'Polygon', coordinates: [[[0, 48], [0.01, 48], [0.01, 48.01], [0, 48.01], [0, 48]]]};"
        "const hole = [[0, 48], [0, 48.005], [0.005, 48.005], [0.005, 48], [0, 48]];"
        "const holed = {type: 'Polygon', coordinates: [square.coordinates[0], hole]};"
        "const pop = r.populationFor([{code: 'a', period: 2021, value: 100}, {code: 'a', period: 2023, value: 120},"
        "  {code: 'b', period: 2025, value: 50}, {code: 'c', period: 2022, value: null}], 2022);"
        "const rows = [{code: 'a', value: 50}, {code: 'b', value: 10}, {code: 'c', value: 7},"
        "  {code: 'd', value: null, secret: true}];"
        "return {area: r.areaKm2(square), holed: r.areaKm2(holed), pop: [...pop.entries()],"
        "  per: r.applyRatio(rows, 'habitant', {population: pop}),"
        "  energy: [r.ratioOptions({id: 'x', unit: 'MWh'}).map(o => o[0]), r.defaultRatio({id: 'x', unit: 'MWh'})],"
        "  population: [r.ratioOptions({id: 'population', unit: 'habitants'}).map(o => o[0]),"
        "    r.defaultRatio({id: 'population', unit: 'habitants'})],"
        "  share: [r.ratioOptions({id: 'y', unit: '%'}).map(o => o[0]), r.defaultRatio({id: 'y', unit: '%'})],"
        "  decimals: [r.ratioDecimals([0.0123, 0.02], 1), r.ratioDecimals([12.3, 20], 1), r.ratioDecimals([], 1)]};",
    )
    assert out["area"] == pytest.approx(1.1119 * 0.7440, rel=2e-3)
    assert out["holed"] == pytest.approx(out["area"] * 0.75, rel=2e-3)
    # The same year when published, else the nearest earlier one, else the nearest later one.
    assert dict((k, v["period"]) for k, v in out["pop"]) == {"a": "2021", "b": "2025"}
    per = {row["code"]: row for row in out["per"]}
    assert per["a"]["value"] == pytest.approx(0.5) and per["a"]["total_value"] == 50
    assert per["b"]["value"] == pytest.approx(0.2)
    assert per["c"]["value"] is None and per["c"]["ratio_missing"] is True  # no population: no value
    assert per["d"]["secret"] is True and per["d"]["value"] is None  # secret stays secret
    assert out["energy"] == [["total", "habitant", "km2"], "habitant"]
    assert out["population"] == [["total", "km2"], "total"]
    assert out["share"] == [["total"], "total"]
    assert out["decimals"] == [4, 1, 1]


def test_choropleth_classes_are_never_empty(page: Any, server: Server) -> None:
    result = run_module(
        page,
        server,
        "const out = [];"
        "for (const values of [[316.5, 661.3, 4582.7], Array.from({length: 43}, (_, i) => (i + 1) ** 2), [5, 5, 5]]) {"
        "  const s = m.choropleth.classify(values);"
        "  const counts = s.colors.map((_, i) => values.filter(v => m.choropleth.classOf(s, v) === i).length);"
        "  out.push({breaks: s.breaks, counts, colors: s.colors.length});"
        "} return out;",
    )
    for case in result:
        assert all(c > 0 for c in case["counts"]), case
        assert case["colors"] == len(case["breaks"]) + 1 <= 5
    assert result[1]["colors"] == 5


def test_trend_chart_with_target_trajectory(page: Any, server: Server) -> None:
    # Targets relative to a reference year, as a climate plan states them (-40 % in 2030 vs 2015).
    info = run_module(
        page,
        server,
        "const rows = [2015, 2017, 2019, 2021, 2022].map((y, i) => ({period: y, value: 1000 - 40 * i}));"
        "const ind = {extra: {targets: [{period: 2030, reduction: 0.4, reference: 2015, label: 'PCAET'}]}};"
        "const target = m.indicator_data.targetTrajectory(ind, rows);"
        "const fig = m.chart.trendChart({series: rows.map(r => ({period: String(r.period), value: r.value})),"
        "  target, unit: 'GWh', decimals: 0, title: 'Consommation'});"
        "const main = document.querySelector('main'); main.replaceChildren(fig);"
        "return {target, series: !!fig.querySelector('path.series'), targetPath: !!fig.querySelector('path.target'),"
        "  points: fig.querySelectorAll('circle.series-point').length,"
        "  label: fig.querySelector('svg').getAttribute('role'),"
        "  desc: fig.querySelector('desc').textContent, rows: fig.querySelectorAll('tbody tr').length};",
    )
    assert info["target"] == [{"period": "2015", "value": 1000}, {"period": "2030", "value": 600, "label": "PCAET"}]
    assert info["series"] and info["targetPath"] and info["points"] == 5 and info["label"] == "img"
    expected = "De 1 000 GWh en 2015 à 840 GWh en 2022 (−16 %). Objectif : 600 GWh en 2030."
    assert normal(info["desc"]) == expected
    assert info["rows"] == 6  # 5 observed years + 2030
    screenshot(page, "dashboard-chart.png")
    assert page.errors == []


def test_quarantine_reasons_in_french(page: Any, server: Server) -> None:
    reasons = [
        "type-error (expected integer)",
        "pattern",
        "unknown commune code",
        "primary-key duplicate (code, annee)",
        "geom: invalid geometry",
        "line too long",
        "minimum 0",
        "code: pattern",
        "passages: maximum 10.0",
        "something new",
    ]
    out = run_module(page, server, f"return {reasons!r}.map(m.labels.quarantineReason);")
    assert out == [
        "valeur illisible comme nombre entier",
        "ne respecte pas le format attendu",
        "code commune inconnu du référentiel",
        "ligne en double (même identifiant : code, annee)",
        "géométrie invalide (geom)",
        "ligne trop longue",
        "valeur inférieure au minimum (0)",
        "code : ne respecte pas le format attendu",  # validation names the field first: it stays
        "passages : valeur supérieure au maximum (10)",
        "something new",  # an unknown reason is shown as recorded, never hidden
    ]
