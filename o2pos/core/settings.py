"""What the core needs to know about the store and this till.

``o2pos.config`` fills these from TOML; tests build them directly. Keeping them plain
dataclasses keeps the core free of any config-file format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class StoreSettings:
    """[store]: the shop on the bill, its taxes, money and rules of sale."""

    name: str = "o2pos store"
    address: str = ""
    phone: str = ""
    gstin: str = ""
    # GST state code of the store ("29" is Karnataka). A customer registered in another
    # state is billed IGST instead of CGST + SGST.
    state_code: str = "29"
    currency: str = "INR"
    timezone: str = "Asia/Kolkata"
    # Round the bill total to the nearest whole rupee, shown as its own "Round off" line.
    round_off: bool = True
    # Days a gift voucher sold at the till stays valid (its last valid day is the day of
    # sale plus this); 0 = it never expires.
    gift_voucher_days: int = 365
    # Selling more than is in stock at the session's location (``core.stock.check_sale``):
    # "warn" adds the line and shows a warning, "refuse" adds nothing and says why. Lot and
    # serial items are always strict: a lot sells only what it holds, a serial only once.
    oversell: str = "warn"


@dataclass(frozen=True)
class ScaleSettings:
    """EAN-13 barcodes printed by scales: prefix, item code, value, check digit."""

    # prefix -> "price" (value in paise) or "weight" (value in grams / millilitres)
    prefixes: dict[str, str] = field(default_factory=lambda: {"21": "price", "22": "weight"})
    item_digits: int = 5
    value_digits: int = 5


@dataclass(frozen=True)
class SecuritySettings:
    """[security]: wrong PINs before a lockout, how long it lasts, and the PIN hash's cost."""

    max_pin_attempts: int = 5
    lockout_minutes: int = 15
    # scrypt cost; the default takes ~50 ms per check on a small till (2**14, r=8).
    scrypt_n: int = 2**14


@dataclass(frozen=True)
class TerminalSettings:
    """[terminal]: this till's id, its data directory and its location."""

    id: str = "T1"
    data_dir: Path = Path("data")
    location: str = "MAIN"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "o2pos.db"


@dataclass(frozen=True)
class StockSettings:
    """[stock]: when a count needs a manager."""

    # A stock count whose variance is worth more than this, in whole rupees (the store's
    # major unit), is posted only with a manager's approval (``core.counts``); the worth is
    # the sum of every line's variance at the product's price, whatever its sign. 0: every
    # count with a variance needs a manager.
    count_approval_value: int = 0


@dataclass(frozen=True)
class Settings:
    """Everything the core needs to know about the store and this till."""

    store: StoreSettings = field(default_factory=StoreSettings)
    terminal: TerminalSettings = field(default_factory=TerminalSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    scale: ScaleSettings = field(default_factory=ScaleSettings)
    stock: StockSettings = field(default_factory=StockSettings)
