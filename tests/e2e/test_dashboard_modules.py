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
    return page.evaluate(
        """async (body) => {
            const names = ["format", "quality", "choropleth", "chart", "indicator-data", "lineage"];
            const m = {};
            for (const n of names) m[n.replace("-", "_")] = await import(`/static/js/${n}.js`);
            return await new Function("m", `return (async () => { ${body} })()`)(m);
        }""",
        script,
    )


def normal(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_french_number_formats(page: Any, server: Server) -> None:
    out = run_module(
        page,
        server,
        "return [m.format.formatNumber(1234567.891, 1), m.format.formatValue(675.4, 'hab/km²', 1),"
        " m.format.formatShare(0.12), m.format.formatShare(0.004), m.format.formatNumber(null), "
        " m.format.formatDateTime('2026-11-30 04:25:15.1601')]",
    )
    assert [normal(x) for x in out[:5]] == ["1 234 567,9", "675,4 hab/km²", "12 %", "0,4 %", "—"]
    assert "2026" in out[5] and "nov." in out[5]


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
        "1 commune sur 3 communes avec des valeurs masquées par le secret statistique.",
        "1 commune sur 3 communes avec des valeurs estimées.",
        "1 commune sur 3 communes sans valeur.",
    ]


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
