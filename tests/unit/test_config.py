from pathlib import Path

import pytest

from o2pos.config import ConfigError, load, parse

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_work_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("O2POS_CONFIG", raising=False)
    config = load()
    assert config.source is None
    assert config.settings.terminal.db_path == tmp_path / "data" / "o2pos.db"
    assert config.settings.store.round_off is True


def test_file_from_the_environment_and_relative_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "till.toml"
    path.write_text('[terminal]\nid = "T7"\ndata_dir = "var"\n[store]\nround_off = false\n')
    monkeypatch.setenv("O2POS_CONFIG", str(path))
    config = load()
    assert config.settings.terminal.id == "T7"
    path.write_text('[terminal]\nid = "t7"\n')
    assert load().settings.terminal.id == "T7"
    assert config.settings.terminal.db_path == tmp_path / "var" / "o2pos.db"
    assert config.settings.store.round_off is False


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"store": {"nmae": "x"}}, "no key 'nmae'"),
        ({"stor": {}}, "Unknown section"),
        ({"store": {"round_off": "yes"}}, "true or false"),
        ({"terminal": {"id": "T 1"}}, "letters or digits"),
        ({"printer": {"kind": "laser"}}, "kind is one of"),
        ({"scale": {"prefixes": {"2x": "price"}}}, "prefixes"),
        ({"security": {"max_pin_attempts": "5"}}, "whole number"),
        ({"terminal": {"id": "T-1"}}, "letters or digits"),
        ({"terminal": {"data_dir": 5}}, "data_dir"),
        ({"store": {"timezone": "Mars/Olympus"}}, "not a known time zone"),
        ({"store": {"state_code": "KA"}}, "two-digit"),
        ({"display": {"max_fps": 0}}, "max_fps is from 1 to 60"),
        ({"central": {"lookup_timeout_seconds": 0}}, "lookup_timeout_seconds is a number"),
        ({"central": {"lookup_timeout_seconds": "1"}}, "lookup_timeout_seconds is a number"),
        ({"central": {"offline_coupons": "maybe"}}, 'offline_coupons is "allow" or "refuse"'),
        ({"central": {"claim_lease_seconds": 0}}, "claim_lease_seconds is whole seconds"),
        ({"central": {"claim_lease_seconds": 601}}, "claim_lease_seconds is whole seconds"),
    ],
)
def test_mistakes_are_named(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse(data, base_dir=Path("."))


def test_the_example_config_documents_a_valid_file() -> None:
    import tomllib

    example = ROOT / "config.example.toml"
    parse(tomllib.loads(example.read_text()), base_dir=ROOT)


@pytest.mark.parametrize(
    ("security", "message"),
    [
        ({"scrypt_n": 1000}, "power of two"),
        ({"max_pin_attempts": 0}, "1 to 20"),
        ({"lockout_minutes": 0}, "1 to 1440"),
    ],
)
def test_security_settings_are_in_range(security: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse({"security": security}, base_dir=Path("."))


def test_a_claim_lease_is_two_minutes_by_default_and_can_be_set() -> None:
    assert parse({}, base_dir=Path(".")).central.claim_lease_seconds == 120
    chosen = parse({"central": {"claim_lease_seconds": 2}}, base_dir=Path("."))
    assert chosen.central.claim_lease_seconds == 2


def test_the_lookup_timeout_is_short_by_default_and_takes_a_fraction() -> None:
    assert parse({}, base_dir=Path(".")).central.lookup_timeout_seconds == 1.0
    chosen = parse({"central": {"lookup_timeout_seconds": 0.5}}, base_dir=Path("."))
    assert chosen.central.lookup_timeout_seconds == 0.5


def test_limited_coupons_are_allowed_offline_by_default() -> None:
    assert parse({}, base_dir=Path(".")).central.offline_coupons == "allow"
    chosen = parse({"central": {"offline_coupons": "refuse"}}, base_dir=Path("."))
    assert chosen.central.offline_coupons == "refuse"


@pytest.mark.parametrize(
    ("text", "section"),
    [
        ('[[terminal]]\nid = "T1"\n', "terminal"),
        ('[[central]]\nurl = "x"\n', "central"),
        ("central = []\n", "central"),
        ("terminal = 5\n", "terminal"),
        ('store = "x"\n', "store"),
        ("scale = 1\n", "scale"),
        ("printer = 1\n", "printer"),
        ("kiosk = true\n", "kiosk"),
        ("security = []\n", "security"),
        ("display = 1\n", "display"),
        ("stock = 1\n", "stock"),
        ("keys = 1\n", "keys"),
    ],
)
def test_a_section_written_as_something_else_than_a_table_is_named(
    tmp_path: Path, text: str, section: str
) -> None:
    """These stopped every command, the till too, with a Python traceback."""
    path = tmp_path / "o2pos.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"^\[{section}\] must be a table"):
        load(path)
