"""The server-drawn charts: named for screen readers, every value written beside its bar, long
names shortened for the chart only (the table keeps them whole)."""

from __future__ import annotations

from web.charts import Series, bar_chart, line_chart


def test_a_bar_chart_names_itself_and_writes_each_value() -> None:
    svg = str(
        bar_chart(
            "Cases at each stage now",
            "Bar chart of cases; the table below gives every number.",
            ["closed", "a" * 50, "各欄位的光學字元識別更正各欄位的光學字元識別更正"],
            [Series("Cases", [1200, 3.5, None])],
        )
    )
    assert svg.startswith("<svg")
    assert 'role="img"' in svg
    assert "<title id=" in svg
    assert "<desc id=" in svg
    assert "aria-labelledby=" in svg
    assert ">1,200<" in svg
    assert ">3.5<" in svg
    assert ">—<" in svg
    assert "a" * 33 + "…" in svg
    assert "a" * 34 not in svg
    assert "各欄位的光學字元識別更正各欄位的…" in svg


def test_a_line_chart_has_a_legend_and_both_ends_of_its_axis() -> None:
    svg = str(
        line_chart(
            "Throughput per week",
            "Line chart.",
            ["2026-01-05", "2026-01-12", "2026-01-19"],
            [Series("Received", [3, 0, 5]), Series("Decided", [1, 2, 4])],
        )
    )
    assert svg.count("<polyline") == 2
    assert ">Received<" in svg
    assert ">Decided<" in svg
    assert ">2026-01-05<" in svg
    assert ">2026-01-19<" in svg
    assert ">5<" in svg
