"""Settings: defaults, the TOML file, LEADTUI_* env and flags; errors name file, line, key."""

from __future__ import annotations

import stat
import tempfile
import tomllib
from datetime import time, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from leadtui.config import (
    ConfigError,
    Settings,
    find_key_line,
    load_settings,
    save_settings_values,
)
from leadtui.domain.window import CallingWindow


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "nope.toml", env={})
    assert settings == Settings()
    assert settings.window == CallingWindow(time(8, 0), time(20, 30))
    assert settings.threshold == timedelta(minutes=5)
    assert settings.claim_ttl_seconds == 120
    assert settings.theme == "leadtui-dark"


def test_every_key_from_file(tmp_path: Path) -> None:
    cadence = tmp_path / "my-cadence.toml"
    cadence.write_text("# cadence\n")
    path = write(
        tmp_path,
        """
rep_name = "Dana Rivera"
rep_phone = "(555) 010-0199"
offer = "a free roof check"
speed_to_lead_minutes = 3
window_start = "09:00"
window_end = "19:45"
default_region = "gb"
default_timezone = "Europe/London"
cadence_file = "my-cadence.toml"
theme = "leadtui-light"
claim_ttl_seconds = 300

[keymap]
no_answer = "N"
won = "ctrl+w"
""",
    )
    s = load_settings(path, env={})
    assert s.rep_name == "Dana Rivera"
    assert s.rep_phone == "(555) 010-0199"
    assert s.offer == "a free roof check"
    assert s.threshold == timedelta(minutes=3)
    assert s.window == CallingWindow(time(9, 0), time(19, 45))
    assert s.default_region == "GB"
    assert s.default_timezone == "Europe/London"
    assert s.cadence_file == cadence  # relative to the config file's folder
    assert s.theme == "leadtui-light"
    assert s.claim_ttl_seconds == 300
    assert s.keymap == {"no_answer": "N", "won": "ctrl+w"}


def test_env_overrides_file_and_flags_override_env(tmp_path: Path) -> None:
    path = write(tmp_path, 'theme = "from-file"\nrep_name = "File Name"\n')
    env = {
        "LEADTUI_THEME": "from-env",
        "LEADTUI_REP_NAME": "Env Name",
        "LEADTUI_WINDOW_START": "07:30",
        "LEADTUI_WINDOW_END": "21:00",
        "LEADTUI_SPEED_TO_LEAD_MINUTES": "2.5",
        "LEADTUI_DEFAULT_REGION": "AU",
        "LEADTUI_DEFAULT_TIMEZONE": "Australia/Sydney",
        "LEADTUI_OFFER": "solar panels",
        "LEADTUI_REP_PHONE": "555-0100",
        "LEADTUI_UNRELATED": "ignored",
    }
    s = load_settings(path, env=env)
    assert s.theme == "from-env"
    assert s.rep_name == "Env Name"
    assert s.window == CallingWindow(time(7, 30), time(21, 0))
    assert s.threshold == timedelta(minutes=2.5)
    assert (s.default_region, s.default_timezone) == ("AU", "Australia/Sydney")
    assert (s.offer, s.rep_phone) == ("solar panels", "555-0100")
    s = load_settings(path, env=env, overrides={"theme": "from-flag", "rep_name": None})
    assert s.theme == "from-flag"
    assert s.rep_name == "Env Name"


def test_cadence_file_from_env(tmp_path: Path) -> None:
    cadence = tmp_path / "c.toml"
    cadence.write_text("")
    s = load_settings(tmp_path / "none.toml", env={"LEADTUI_CADENCE_FILE": str(cadence)})
    assert s.cadence_file == cadence
    with pytest.raises(ConfigError, match="LEADTUI_CADENCE_FILE.*not a file"):
        load_settings(tmp_path / "none.toml", env={"LEADTUI_CADENCE_FILE": str(tmp_path / "x")})


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ('rep_name = "A"\n\ncolour = "red"\n', 3, "colour"),
        ('theme = "x"\n[window]\nstart = "08:00"\n', 2, "window"),
        ('rep_name = "A"\nspeed_to_lead_minutes = "soon"\n', 2, "speed_to_lead_minutes"),
        ("speed_to_lead_minutes = -1\n", 1, "speed_to_lead_minutes"),
        ('\n\nwindow_end = "25:00"\n', 3, "window_end"),
        ("window_start = 8\n", 1, "window_start"),
        ('default_region = "Narnia"\n', 1, "default_region"),
        ('# zone\n"default_timezone" = "Mars/Olympus"\n', 2, "default_timezone"),
        ('theme = "../../etc/passwd"\n', 1, "theme"),
        ("claim_ttl_seconds = 1.5\n", 1, "claim_ttl_seconds"),
        ('rep_name = "Bob\\u001b[31m"\n', 1, "rep_name"),
        ("rep_name = 42\n", 1, "rep_name"),
        ('cadence_file = "missing.toml"\n', 1, "cadence_file"),
        ('offer = "x"\n[keymap]\nno_answer = "n"\nwon = 5\n', 4, "won"),
        ('[keymap]\n"Bad Id" = "n"\n', 2, "Bad Id"),
    ],
)
def test_bad_key_or_value_names_file_line_and_key(
    tmp_path: Path, text: str, line: int, key: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    message = str(caught.value)
    assert str(path) in message
    assert f"line {line}:" in message
    assert key in message
    assert "\n" not in message


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'rep_name = "A"\ntheme = \n')
    with pytest.raises(ConfigError, match=r"config\.toml line 2: invalid TOML"):
        load_settings(path, env={})


def test_not_utf8_names_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'rep_name = "A"\noffer = "caf\xe9"\n')
    with pytest.raises(ConfigError, match=r"line 2: .*not valid UTF-8"):
        load_settings(path, env={})


def test_window_start_after_end_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, 'window_start = "21:00"\n')
    with pytest.raises(ConfigError, match="window_start .* earlier than window_end"):
        load_settings(path, env={})


def test_bad_env_value_names_variable() -> None:
    with pytest.raises(ConfigError, match="LEADTUI_SPEED_TO_LEAD_MINUTES"):
        load_settings(Path("/nonexistent/config.toml"), env={"LEADTUI_SPEED_TO_LEAD_MINUTES": "x"})
    with pytest.raises(ConfigError, match="LEADTUI_DEFAULT_TIMEZONE"):
        load_settings(Path("/nonexistent/c.toml"), env={"LEADTUI_DEFAULT_TIMEZONE": "Nowhere"})


def test_toml_local_time_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "window_start = 09:15:00\n")
    assert load_settings(path, env={}).window.start == time(9, 15)


def test_find_key_line_handles_tables_and_dotted_keys() -> None:
    text = 'a = 1\n[keymap]\nwon = "w"\n[other]\nwon = 3\n'
    assert find_key_line(text, "won", table="keymap") == 3
    assert find_key_line("keymap.won = 'w'\n", "won", table="keymap") == 1
    assert find_key_line(text, "other") == 4
    assert find_key_line(text, "absent") == 1


def test_save_settings_values_keeps_other_keys_and_comments(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '# my settings\ntheme = "leadtui-light"  # the light one\n\n[keymap]\nwon = "W"\n',
    )
    path.chmod(0o644)
    save_settings_values(path, rep_name="Dana Rivera", rep_phone="555-0100")
    text = path.read_text()
    assert "# my settings" in text and "# the light one" in text
    doc = tomllib.loads(text)
    assert doc == {
        "theme": "leadtui-light",
        "rep_name": "Dana Rivera",
        "rep_phone": "555-0100",
        "keymap": {"won": "W"},
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    save_settings_values(path, theme="leadtui-contrast")
    s = load_settings(path, env={})
    assert (s.theme, s.rep_name, s.keymap) == ("leadtui-contrast", "Dana Rivera", {"won": "W"})


def test_save_changes_only_the_value_keeping_layout_quotes_and_inline_comments(
    tmp_path: Path,
) -> None:
    """tomlkit edits in place: the changed key keeps its line, its trailing comment and
    its neighbours; a new key goes right above the first table; nothing else moves."""
    original = (
        "# shared by the Tucson office\n"
        "\n"
        "rep_name = 'Ines Marlow'   # single quotes, spaces\n"
        "speed_to_lead_minutes = 7.5\n"
        "\n"
        "# keys for a left-handed rep\n"
        "[keymap]\n"
        "won = \"ctrl+w\"  # mine\n"
    )
    path = write(tmp_path, original)
    save_settings_values(path, speed_to_lead_minutes=12.0, offer="a two-minute tour")
    assert path.read_text() == original.replace(
        "speed_to_lead_minutes = 7.5\n", "speed_to_lead_minutes = 12.0\n"
    ).replace("[keymap]\n", "offer = \"a two-minute tour\"\n\n[keymap]\n")
    save_settings_values(path, rep_name="Ines Marlow-Ode")
    text = path.read_text()
    assert "rep_name = \"Ines Marlow-Ode\"   # single quotes, spaces\n" in text
    assert text.startswith("# shared by the Tucson office\n\n")
    assert text.endswith('[keymap]\nwon = "ctrl+w"  # mine\n')


def test_save_creates_file_private(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.toml"
    save_settings_values(path, rep_name='Zoë "Z" O\'Neil')
    assert load_settings(path, env={}).rep_name == 'Zoë "Z" O\'Neil'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_save_refuses_bad_values_and_broken_files(tmp_path: Path) -> None:
    path = write(tmp_path, "theme = \n")
    with pytest.raises(ConfigError, match="line 1"):
        save_settings_values(path, rep_name="x")
    assert path.read_text() == "theme = \n"
    with pytest.raises(ConfigError, match="unknown setting"):
        save_settings_values(tmp_path / "c.toml", colour="red")
    with pytest.raises(ConfigError, match="rep_name"):
        save_settings_values(tmp_path / "c.toml", rep_name="\x1b[2J")


@hyp_settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=300)
    | st.builds(
        lambda key, value: f"{key} = {value}\n",
        st.sampled_from(["rep_name", "theme", "window_start", "speed_to_lead_minutes", "x"]),
        st.text(max_size=30).map(repr) | st.integers().map(str) | st.just("[1, 2]"),
    )
)
def test_any_config_text_gives_settings_or_one_config_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            loaded = load_settings(path, env={})
        except ConfigError as err:
            assert str(path) in str(err)
            assert "\n" not in str(err)
            return
    assert isinstance(loaded, Settings)
