"""Send the terminal only the cells that changed.

Textual repaints the whole screen whenever a screen is pushed or popped: opening the
payment dialog and closing it again sent two full 80×24 frames, most of a cash sale's
32 kB, though most cells were the same before and after. On a thin client over SSH or a
slow line every byte is link time. ``Frames`` keeps what the terminal shows, cell by cell
(a character and its style), plays each of Textual's updates onto a copy, and writes only
the runs of cells that differ. The terminal ends up showing exactly what Textual drew.

What the terminal shows is known only if nothing else writes to it: the copy is dropped
(the next frame is sent whole) when the size changes and whenever the app asks for it
(``forget``), e.g. after the terminal was handed to another program.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.segment import ControlType, Segment
from rich.style import Style
from textual._compositor import CompositorUpdate
from textual.strip import Strip

Cell = tuple[str, Style | None]  # a wide character's second cell holds ""
BLANK: Cell = (" ", None)
# unchanged cells between two changed runs sent anyway rather than a new cursor move
# (a move is 6 to 8 bytes; a cell in the same style costs 1)
GAP = 6


class Diffed(CompositorUpdate):
    """An update already worked out as terminal text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def render_segments(self, console: Console) -> str:
        return self.text


class Frames:
    def __init__(self) -> None:
        self.width = 0
        self.height = 0
        self.shown: list[list[Cell | None]] = []  # None: unknown, always sent

    def forget(self) -> None:
        """The terminal's content is unknown: the next update is sent whole."""
        self.width = self.height = 0
        self.shown = []

    def update(self, update: Any, console: Console, width: int, height: int) -> Diffed:
        """``update``: one of Textual's (a ``LayoutUpdate`` or a ``ChopsUpdate``)."""
        if (width, height) != (self.width, self.height):
            self.width, self.height = width, height
            self.shown = [[None] * width for _ in range(height)]
        marks: dict[int, list[int]] = {}  # y: the columns this update changed
        for y, x, segment in _placed(update.__rich_console__(console, console.options)):
            if not 0 <= y < height or x >= width:
                continue
            cells = _cells(segment)
            end = min(x + len(cells), width)
            cells = cells[: end - x]
            shown = self.shown[y]
            if shown[x:end] != cells:  # compared at C speed: most of a whole frame is the same
                marks.setdefault(y, []).extend(
                    x + i for i, cell in enumerate(cells) if shown[x + i] != cell
                )
                shown[x:end] = cells
        out: list[str] = []
        for y, columns in sorted(marks.items()):
            shown = self.shown[y]
            for start, stop in _runs(sorted(set(columns)), shown):
                out.append(f"\x1b[{y + 1};{start + 1}H")
                out.append(Strip(_segments(shown[start:stop])).render(console))
        return Diffed("".join(out))


def _cells(segment: Segment) -> list[Cell | None]:
    """A segment's cells: a wide character takes two (the second holds ""), a combining
    mark joins the character before it."""
    style = segment.style
    text = segment.text
    if text.isascii():
        return [(char, style) for char in text]
    cells: list[Cell | None] = []
    for char in text:
        width = cell_len(char)
        if width == 0:
            if cells and cells[-1] is not None:
                cells[-1] = (cells[-1][0] + char, style)
            continue
        cells.append((char, style))
        if width == 2:
            cells.append(("", style))
    return cells


def _placed(segments: Iterable[Segment]) -> Iterable[tuple[int, int, Segment]]:
    """Each text segment with the line and column it is written at."""
    x = y = 0
    for segment in segments:
        if segment.control:
            for control in segment.control:
                if control[0] == ControlType.CURSOR_MOVE_TO:
                    x, y = int(control[1]), int(control[2])  # type: ignore[misc]
            continue
        if segment.text == "\n":
            x, y = 0, y + 1
            continue
        yield y, x, segment
        x += cell_len(segment.text)


def _runs(changed: list[int], shown: list[Cell | None]) -> list[tuple[int, int]]:
    """The spans [start, end) that cover ``changed``, joined across short gaps, never
    starting or ending inside a wide character."""
    runs: list[tuple[int, int]] = []
    for x in changed:
        if runs and x - runs[-1][1] <= GAP and None not in shown[runs[-1][1] : x]:
            runs[-1] = (runs[-1][0], x + 1)
        else:
            runs.append((x, x + 1))
    fixed = []
    for start, end in runs:
        while start > 0 and (shown[start] or BLANK)[0] == "":
            start -= 1
        while end < len(shown) and (shown[end] or BLANK)[0] == "":
            end += 1
        fixed.append((start, end))
    return fixed


def _segments(cells: list[Cell | None]) -> list[Segment]:
    """Cells as segments, one per run of the same style."""
    segments: list[Segment] = []
    text: list[str] = []
    style: Style | None = None
    for cell in cells:
        char, cell_style = cell if cell is not None else BLANK
        if text and cell_style != style:
            segments.append(Segment("".join(text), style))
            text = []
        style = cell_style
        text.append(char)
    if text:
        segments.append(Segment("".join(text), style))
    return segments
