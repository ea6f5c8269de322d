"""The server-drawn charts: named for screen readers, every value written beside its bar, long
names shortened for the chart only (the table keeps them whole), drawn once for a wide screen
and once for a phone, names above the bars there."""

from __future__ import annotations

from markupsafe import Markup

from web.charts import Series, bar_chart, line_chart


def _drawings(chart: Markup) -> tuple[str, str]:
    """The wide drawing and the phone's, in that order, each a whole ``<svg>``."""
    wide, narrow = (f"<svg{part}" for part in str(chart).split("<svg")[1:])
    assert 'class="chart chart-wide"' in wide
    assert 'class="chart chart-narrow"' in narrow
    return wide, narrow


def test_a_bar_chart_names_itself_and_writes_each_value() -> None:
    wide, narrow = _drawings(
        bar_chart(
            "Cases at each stage now",
            "Bar chart of cases; the table below gives every number.",
            ["closed", "a" * 50, "各欄位的光學字元識別更正各欄位的光學字元識別更正"],
            [Series("Cases", [1200, 3.5, None])],
        )
    )
    named = ('role="img"', "<title id=", "<desc id=", "aria-labelledby=")
    for svg in (wide, narrow):
        assert all(part in svg for part in named), svg
        assert all(value in svg for value in (">1,200<", ">3.5<", ">—<")), svg
    assert "a" * 33 + "…" in wide
    assert "a" * 34 not in wide
    assert "各欄位的光學字元識別更正各欄位的…" in wide
    assert "a" * 43 + "…" in narrow  # a phone's drawing has the whole width for a name
    assert 'viewBox="0 0 360 ' in narrow


def test_a_line_chart_has_a_legend_and_both_ends_of_its_axis() -> None:
    wide, narrow = _drawings(
        line_chart(
            "Throughput per week",
            "Line chart.",
            ["2026-01-05", "2026-01-12", "2026-01-19"],
            [Series("Received", [3, 0, 5]), Series("Decided", [1, 2, 4])],
        )
    )
    for svg in (wide, narrow):
        assert svg.count("<polyline") == 2
        assert ">Received<" in svg
        assert ">Decided<" in svg
        assert ">2026-01-05<" in svg
        assert ">2026-01-19<" in svg
        assert ">5<" in svg
