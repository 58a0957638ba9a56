"""Themes, layout at two sizes, help, first start and the script pane."""

from __future__ import annotations

import tomllib
from dataclasses import replace

from conftest import SIZE, draft, screen_text

from leadtui.config import Settings
from leadtui.tui.screens.help import HelpScreen
from leadtui.tui.screens.rep_details import RepDetailsScreen
from leadtui.tui.themes import load_theme_file, load_themes, packaged_theme_dirs


def test_packaged_themes_load_and_define_our_variables() -> None:
    themes, problems = load_themes(packaged_theme_dirs())
    assert problems == []
    names = {t.name for t in themes}
    assert {"leadtui-dark", "leadtui-light", "leadtui-contrast"} <= names
    for theme in themes:
        assert "lead-aging" in theme.variables


def test_a_broken_theme_file_names_the_problem(tmp_path) -> None:
    (tmp_path / "bad.toml").write_text('name = "x"\nprimary = "not-a-colour"\n')
    (tmp_path / "worse.toml").write_text("name = [\n")
    (tmp_path / "odd.toml").write_text('name = "odd"\nprimary = "#fff"\ncolour = "red"\n')
    themes, problems = load_themes([tmp_path])
    assert themes == []
    messages = sorted(str(p) for p in problems)
    assert "primary: 'not-a-colour' is not a colour" in messages[0]
    assert "unknown key 'colour'" in messages[1]
    assert "not valid TOML" in messages[2]


async def test_user_themes_load_and_a_broken_one_is_reported_once(app_factory, paths, settle):
    paths.themes.mkdir(parents=True)
    (paths.themes / "mine.toml").write_text('name = "mine"\nprimary = "#00ff00"\n')
    (paths.themes / "broken.toml").write_text("name = \n")
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "mine" in app.available_themes
        reports = [n.message for n in app._notifications if "broken.toml" in n.message]
        assert len(reports) == 1
        assert app.theme == "leadtui-dark"


async def test_theme_choice_is_remembered(app_factory, paths, settle, settings):
    app = app_factory(settings=replace(settings, theme="leadtui-light"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "leadtui-light"
        app.theme = "leadtui-contrast"
        await settle(pilot)
    saved = tomllib.loads(paths.config.read_text())
    assert saved["theme"] == "leadtui-contrast"


def test_theme_file_fields_map_to_textual_theme() -> None:
    (folder,) = packaged_theme_dirs()[:1]
    theme = load_theme_file(folder / "leadtui-contrast.toml")
    assert theme.background == "#000000" and theme.dark is True
    assert theme.variables["block-cursor-background"] == "#ffffff"


async def test_narrow_screen_switches_between_lead_and_script(app_factory, add_leads, settle):
    add_leads(draft("Ada Lovelace"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "Ada Lovelace" in text and "History" in text
        await pilot.press("right")
        await pilot.pause()
        text = screen_text(app)
        assert "History" not in text
        assert "Sam" in text  # the script is filled in with the rep's name
        await pilot.press("left")
        await pilot.pause()
        assert "History" in screen_text(app)


async def test_wide_screen_shows_lead_and_script_side_by_side(app_factory, add_leads, settle):
    add_leads(draft("Ada Lovelace"))
    app = app_factory()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "History" in text and "Sam" in text
        assert "←/→ switch" not in text


async def test_help_lists_every_outcome_key(app_factory, settle, settings):
    app = app_factory(settings=replace(settings, keymap={"won": "W"}))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "Called: nobody answered" in text
        assert "W " in text  # the remapped key is the one listed
        await pilot.press("escape")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_first_start_asks_for_the_reps_details_and_saves_them(app_factory, paths, settle):
    app = app_factory(settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, RepDetailsScreen)
        await pilot.press(*"Jo Park", "enter")
        await pilot.press(*"+1 415 555 0100", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, RepDetailsScreen)
        assert app.settings.rep_name == "Jo Park"
    saved = tomllib.loads(paths.config.read_text())
    assert saved["rep_name"] == "Jo Park"
    assert saved["rep_phone"] == "+1 415 555 0100"


async def test_palette_toggles_all_leads(app_factory, add_leads, settle):
    add_leads(draft("Ada Lovelace"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"show all")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.mode == "all"


async def test_no_color_picks_the_contrast_theme(app_factory, settle, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "leadtui-contrast"


async def test_an_unknown_key_name_in_the_keymap_is_reported(app_factory, settle, settings):
    app = app_factory(settings=replace(settings, keymap={"no_such_key": "z", "won": "W"}))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        reports = [n.message for n in app._notifications if "no_such_key" in n.message]
        assert len(reports) == 1
