"""The item box: an Input whose size never changes as codes come and go."""

from __future__ import annotations

from textual.widgets import Input


class ScanBox(Input):
    """A plain Input re-sizes its scroll area to the text on every change, which makes the
    whole screen lay out again after each scan. Codes are short (``max_length``), so the
    box keeps one fixed scroll width and a scan repaints only the box."""

    @property
    def content_width(self) -> int:
        return max(self.max_length or 0, len(self.placeholder)) + 1
