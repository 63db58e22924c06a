"""A slip as data: what to print, line by line, before any printer is involved.

The same object becomes the F5 preview (``text()``) and the printer's bytes
(``escpos_out.render``), so what the cashier sees is what the customer gets.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Line:
    text: str = ""
    align: Align = "left"
    bold: bool = False
    big: bool = False  # double height and width (the total); half as many columns


@dataclass(frozen=True)
class Barcode:
    """A Code128 barcode of ``data`` (a document number the receipts screen can scan)."""

    data: str


@dataclass(frozen=True)
class QR:
    data: str


Item = Line | Barcode | QR

# on top of a slip sent again after the till stopped while sending it (fits 32 columns)
RESENT_MARK = Line("*** COPY: PRINT INTERRUPTED ***", align="center", bold=True)


@dataclass(frozen=True)
class Slip:
    kind: str  # bill | receipt | return | cash | x_report | z_report | drawer
    number: str
    width: int  # columns of normal text: 32 (58 mm paper) or 48 (80 mm)
    items: tuple[Item, ...] = field(default_factory=tuple)
    copy: bool = False  # a reprint says so on paper
    drawer: bool = False  # kick the cash drawer before printing

    def text(self) -> str:
        """The preview: exactly the printed text, with the barcode and QR shown as marks."""
        out = []
        for item in self.items:
            if isinstance(item, Line):
                width = self.width // 2 if item.big else self.width
                text = item.text[:width]
                if item.align == "center":
                    text = text.center(width).rstrip()
                elif item.align == "right":
                    text = text.rjust(width)
                out.append(text)
            elif isinstance(item, Barcode):
                out.append(f"||| {item.data} |||".center(self.width).rstrip())
            else:
                out.append("[QR code]".center(self.width).rstrip())
        return "\n".join(out)

    def to_json(self) -> str:
        items = [{"type": type(i).__name__, **asdict(i)} for i in self.items]
        body = {
            "kind": self.kind,
            "number": self.number,
            "width": self.width,
            "copy": self.copy,
            "drawer": self.drawer,
            "items": items,
        }
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))

    def resent(self) -> Slip:
        """This slip, to send again after a till stopped while sending it. The customer may
        already hold it, whole or torn, so it says it is a copy; and the drawer, opened
        when it was first sent, does not open again (at start-up, with no one there)."""
        items = self.items if self.items[:1] == (RESENT_MARK,) else (RESENT_MARK, *self.items)
        return replace(self, items=items, copy=True, drawer=False)

    @classmethod
    def from_json(cls, text: str) -> Slip:
        data: dict[str, Any] = json.loads(text)
        types = {"Line": Line, "Barcode": Barcode, "QR": QR}
        items = tuple(types[item.pop("type")](**item) for item in data.pop("items"))
        return cls(items=items, **data)
