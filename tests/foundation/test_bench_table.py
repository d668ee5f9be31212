"""``make bench``'s one table: a goal on the ratio or on the figure, a ceiling or a floor, and FAIL said plainly."""

from __future__ import annotations

from bench._stats import Row, rows_table


def test_a_goal_on_the_ratio_is_judged_on_the_ratio() -> None:
    row = Row("startup", "ms", 260.0, 200.0, "hello app", 1.3, True)
    assert row.ratio == 1.3 and row.passed and row.goal == "≤ 1.3×"
    assert not Row("startup", "ms", 261.0, 200.0, "hello app", 1.3, True).passed


def test_a_goal_on_the_figure_ignores_the_baseline() -> None:
    assert Row("round-trip", "ms", 14.9, 0.5, "GET /health", 15, False).passed  # 30× the baseline, yet met
    assert not Row("round-trip", "ms", 15.1, 100.0, "GET /health", 15, False).passed
    floor = Row("submissions/s", "/s", 499.0, 10_000.0, "GET /health", 500, False, at_least=True)
    assert not floor.passed and floor.goal == "≥ 500 /s"


def test_the_table_has_a_line_per_row_with_its_baseline_and_verdict() -> None:
    rows = [
        Row("sign", "ms", 1.0, 0.5, "xmlsec", 1.5, True),
        Row("RSS", "MB", 55.0, 32.6, "hello app", 120, False),
    ]
    lines = rows_table(rows).splitlines()
    assert len(lines) == 4 and "result" in lines[0]
    assert "FAIL" in lines[2] and "0.5 ms (xmlsec)" in lines[2] and "2.00×" in lines[2]
    assert "PASS" in lines[3] and "32.6 MB (hello app)" in lines[3]
