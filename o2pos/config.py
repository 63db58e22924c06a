"""TOML configuration: ``--config FILE``, else ``$O2POS_CONFIG``, else ``./o2pos.toml``, else
built-in defaults that work (data under ``./data/``). Every key is documented in
``config.example.toml``; an unknown key is an error, so a typo never silently does nothing.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from o2pos.core import pinwrap
from o2pos.core.settings import (
    ScaleSettings,
    SecuritySettings,
    Settings,
    StockSettings,
    StoreSettings,
    TerminalSettings,
)


class ConfigError(Exception):
    """The config file cannot be read or holds a wrong key or value."""


@dataclass(frozen=True)
class CentralConfig:
    """[central]: where this till syncs, and what it may do while the central is away."""

    url: str = ""
    token: str = ""
    key: str = ""
    ca_bundle: str = ""
    interval_seconds: int = 5
    timeout_seconds: int = 10
    batch_size: int = 200
    # another till's order looked up or claimed while a cashier waits: short, never a hang
    lookup_timeout_seconds: float = 1.0
    # how long the central holds a bill for this till while its cashier takes payment
    # (a till that dies frees it after this); renewed as the payment is confirmed
    claim_lease_seconds: int = 120
    # vouchers and credit notes taken when the central cannot be asked (core.vouchers):
    # own (issued by this till) | none | any; and the most one tender may take (0: no limit)
    offline_redeem: str = "own"
    offline_redeem_limit: int = 0
    # a coupon with a usage limit put on a bill when the central cannot count it
    # (core.coupons): allow (while the store-wide count as last pulled is below the limit;
    # a use beyond it is flagged centrally) | refuse
    offline_coupons: str = "allow"
    # loyalty points one bill may redeem when the central cannot be asked (core.loyalty,
    # sync.points): 0, the default, refuses points offline; a few points risk little
    offline_points: int = 0


@dataclass(frozen=True)
class PrinterConfig:
    """[printer]: the slip printer, and the A4 tax invoice."""

    kind: str = "none"  # none | dummy | file | network | usb | serial
    host: str = ""
    port: int = 9100
    device: str = ""
    width: int = 48
    profile: str = "default"
    footer: str = ""
    qr: bool = False
    drawer: bool = True
    timeout_seconds: int = 5
    # the A4 tax invoice (``o2pos.printing.a4``): where its PDFs are saved ("" = the data
    # directory's invoices/), and a command that prints one ("" = saved only)
    a4_dir: str = ""
    a4_command: str = ""


@dataclass(frozen=True)
class KioskConfig:
    """[kiosk]: no way out but a manager's PIN, and the lock after no activity."""

    enabled: bool = False
    idle_lock_seconds: int = 300


@dataclass(frozen=True)
class DisplayConfig:
    """[display]: how often the screen may be redrawn."""

    max_fps: int = 60


@dataclass(frozen=True)
class Config:
    """The whole config file: the core's settings and the till's own sections."""

    settings: Settings = field(default_factory=Settings)
    central: CentralConfig = field(default_factory=CentralConfig)
    printer: PrinterConfig = field(default_factory=PrinterConfig)
    kiosk: KioskConfig = field(default_factory=KioskConfig)
    display: DisplayConfig = field(default_factory=DisplayConfig)
    keys: dict[str, str] = field(default_factory=dict)
    source: Path | None = None


def _section(cls: type, data: dict[str, Any], name: str, base: Any = None) -> Any:
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"[{name}] has no key '{key}' (known: {', '.join(sorted(known))})")
        default = getattr(base or cls(), key)
        if isinstance(default, bool) and not isinstance(value, bool):
            raise ConfigError(f"[{name}] {key} must be true or false")
        if (
            isinstance(default, int)
            and not isinstance(default, bool)
            and (isinstance(value, bool) or not isinstance(value, int))
        ):
            raise ConfigError(f"[{name}] {key} must be a whole number")
        if isinstance(default, str) and not isinstance(value, str):
            raise ConfigError(f"[{name}] {key} must be text")
        values[key] = value
    return replace(base or cls(), **values)


def find_config_file(explicit: Path | None) -> Path | None:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"Config file {explicit} does not exist")
        return explicit
    env = os.environ.get("O2POS_CONFIG")
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError(f"O2POS_CONFIG points at {path}, which does not exist")
        return path
    local = Path("o2pos.toml")
    return local if local.is_file() else None


def load(explicit: Path | None = None) -> Config:
    path = find_config_file(explicit)
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
    return parse(data, base_dir=path.parent if path else Path.cwd(), source=path)


def _token(token: str) -> str:
    """The token as issued, or a ConfigError that does not quote it.

    Spaces and line breaks around it are dropped: a token (``o2t_``, the terminal, URL-safe
    base64) never holds one, so stripping cannot turn a good token into another, and a
    space pasted along with it is an invisible mistake to hunt for. Any other character a
    token never holds (a space inside, a control or non-ASCII character) is refused here:
    sent, it would fail in the HTTP header on every round, quoting the token in the error.
    """
    token = token.strip()
    if any(not "!" <= char <= "~" for char in token):
        raise ConfigError(
            "[central] token holds a character no token has (a space or line break inside "
            "it?): copy it again from what 'o2pos central add-terminal' printed"
        )
    return token


def parse(data: dict[str, Any], *, base_dir: Path, source: Path | None = None) -> Config:
    allowed = {
        "store",
        "terminal",
        "security",
        "scale",
        "stock",
        "central",
        "printer",
        "kiosk",
        "display",
        "keys",
    }
    unknown = set(data) - allowed
    if unknown:
        raise ConfigError(f"Unknown section(s): {', '.join(sorted(unknown))}")
    for name in sorted(data):  # `central = []` or `[[terminal]]` is not a section
        if not isinstance(data[name], dict):
            raise ConfigError(
                f"[{name}] must be a table: a line [{name}] with its keys under it, once"
            )
    terminal_data = dict(data.get("terminal", {}))
    data_dir_text = terminal_data.pop("data_dir", "data")
    if not isinstance(data_dir_text, str) or not data_dir_text:
        raise ConfigError("[terminal] data_dir must be a directory path (text)")
    data_dir = Path(data_dir_text)
    if not data_dir.is_absolute():
        data_dir = base_dir / data_dir
    terminal = _section(
        TerminalSettings, terminal_data, "terminal", TerminalSettings(data_dir=data_dir)
    )
    # document numbers are looked up upper-case (a scanned "s-t1-000042" still finds it)
    terminal = replace(terminal, id=terminal.id.upper())
    if not re.fullmatch(r"[A-Z0-9]{1,8}", terminal.id):
        raise ConfigError(
            "[terminal] id must be 1 to 8 letters or digits (it is part of bill numbers)"
        )
    scale_data = dict(data.get("scale", {}))
    prefixes = scale_data.pop("prefixes", None)
    scale = _section(ScaleSettings, scale_data, "scale")
    if prefixes is not None:
        if not isinstance(prefixes, dict) or not all(
            isinstance(k, str) and k.isdigit() and v in ("price", "weight")
            for k, v in prefixes.items()
        ):
            raise ConfigError('[scale] prefixes maps digit prefixes to "price" or "weight"')
        scale = replace(scale, prefixes=dict(prefixes))
    store = _section(StoreSettings, data.get("store", {}), "store")
    if not re.fullmatch(r"[0-9]{2}", store.state_code):
        raise ConfigError('[store] state_code is the two-digit GST state code, e.g. "29"')
    try:
        ZoneInfo(store.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"[store] timezone {store.timezone!r} is not a known time zone") from exc
    if not 0 <= store.gift_voucher_days <= 3650:
        raise ConfigError("[store] gift_voucher_days is from 0 (never expires) to 3650")
    if store.oversell not in ("warn", "refuse"):
        raise ConfigError('[store] oversell is "warn" or "refuse"')
    stock = _section(StockSettings, data.get("stock", {}), "stock")
    if not 0 <= stock.count_approval_value <= 10**9:
        raise ConfigError("[stock] count_approval_value is whole rupees, 0 or more")
    security = _section(SecuritySettings, data.get("security", {}), "security")
    n = security.scrypt_n
    if n < 2**8 or n > 2**18 or n & (n - 1):
        raise ConfigError("[security] scrypt_n is a power of two from 256 to 262144")
    if not 1 <= security.max_pin_attempts <= 20:
        raise ConfigError("[security] max_pin_attempts is from 1 to 20")
    if not 1 <= security.lockout_minutes <= 24 * 60:
        raise ConfigError("[security] lockout_minutes is from 1 to 1440")
    settings = Settings(
        store=store,
        terminal=terminal,
        security=security,
        scale=scale,
        stock=stock,
    )
    # which actions and keys exist is the till's business: `o2pos run` refuses an unknown
    # action, a key no terminal sends and a key that takes another (tui.keymap.check_remap)
    keys = data.get("keys", {})
    if not isinstance(keys, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in keys.items()
    ):
        raise ConfigError("[keys] maps action names to key names, both text")
    printer = _section(PrinterConfig, data.get("printer", {}), "printer")
    if printer.kind not in ("none", "dummy", "file", "network", "usb", "serial"):
        raise ConfigError("[printer] kind is one of none, dummy, file, network, usb, serial")
    if not 24 <= printer.width <= 64:
        raise ConfigError("[printer] width is 24 to 64 characters (32 for 58 mm, 48 for 80 mm)")
    if not 1 <= printer.timeout_seconds <= 60:
        raise ConfigError("[printer] timeout_seconds is 1 to 60")
    if printer.kind == "network" and not printer.host:
        raise ConfigError('[printer] kind = "network" needs host (and port)')
    if printer.kind in ("file", "usb", "serial") and not printer.device:
        raise ConfigError(f'[printer] kind = "{printer.kind}" needs device')
    central = _section(CentralConfig, data.get("central", {}), "central")
    if central.url and not central.url.startswith(("http://", "https://")):
        raise ConfigError("[central] url starts with https:// (or http:// on a trusted network)")
    if not 1 <= central.batch_size <= 500:
        raise ConfigError("[central] batch_size is from 1 to 500")
    if not 1 <= central.interval_seconds <= 3600 or not 1 <= central.timeout_seconds <= 120:
        raise ConfigError("[central] interval_seconds is 1 to 3600, timeout_seconds 1 to 120")
    lookup = central.lookup_timeout_seconds
    if isinstance(lookup, bool) or not isinstance(lookup, int | float) or not 0.1 <= lookup <= 10:
        raise ConfigError("[central] lookup_timeout_seconds is a number from 0.1 to 10")
    central = replace(central, token=_token(central.token), lookup_timeout_seconds=float(lookup))
    if central.offline_coupons not in ("allow", "refuse"):
        raise ConfigError('[central] offline_coupons is "allow" or "refuse"')
    lease = central.claim_lease_seconds
    if isinstance(lease, bool) or not isinstance(lease, int) or not 1 <= lease <= 600:
        raise ConfigError("[central] claim_lease_seconds is whole seconds from 1 to 600")
    if central.offline_redeem not in ("own", "none", "any"):
        raise ConfigError('[central] offline_redeem is "own", "none" or "any"')
    limit = central.offline_redeem_limit
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ConfigError("[central] offline_redeem_limit is whole minor units, 0 for no limit")
    offline = central.offline_points
    if isinstance(offline, bool) or not isinstance(offline, int) or offline < 0:
        raise ConfigError("[central] offline_points is whole points, 0 to refuse points offline")
    if central.key and not pinwrap.KEY_PATTERN.match(central.key):
        raise ConfigError(
            "[central] key is o2k_ and 43 letters, digits, '-' or '_', "
            "as printed by o2pos central add-terminal"
        )
    if central.ca_bundle and not Path(central.ca_bundle).is_absolute():
        central = replace(central, ca_bundle=str(base_dir / central.ca_bundle))
    display = _section(DisplayConfig, data.get("display", {}), "display")
    if not 1 <= display.max_fps <= 60:
        raise ConfigError("[display] max_fps is from 1 to 60")
    return Config(
        settings=settings,
        central=central,
        printer=printer,
        kiosk=_section(KioskConfig, data.get("kiosk", {}), "kiosk"),
        display=display,
        keys=dict(keys),
        source=source,
    )
