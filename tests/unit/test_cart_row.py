"""A cart row at 80 columns (``o2pos.tui.widgets.cart``): figures are never cut."""

from __future__ import annotations

from o2pos.tui.widgets.cart import _format


def test_a_figure_wider_than_its_column_is_shown_whole_and_the_name_gives_way() -> None:
    cells = ("1", "Wedding lehenga, hand embroidered", "1", "250,000.00", "12,345.67", "5%")
    row = _format((*cells, "1,237,654.33"), 78)
    for figure in ("250,000.00", "12,345.67", "1,237,654.33"):
        assert figure in row.split(), row
    assert len(row) <= 78, row


def test_a_row_whose_figures_fit_keeps_its_columns() -> None:
    row = _format(("1", "Basmati Rice 1 kg", "2", "189.00", "", "5%", "378.00"), 78)
    assert len(row) == 78 and row.endswith("    378.00")
