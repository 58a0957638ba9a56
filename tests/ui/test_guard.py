"""Nothing crashes the workstation: prompts validate without raising, and an unexpected
exception in a handler is shown, logged in the data folder and survived, outbox intact."""

from __future__ import annotations

import pytest
from conftest import SIZE, draft, screen_text

from leadtui.domain.model import Outcome
from leadtui.store.protocol import StoreError
from leadtui.tui.guard import LOG_NAME
from leadtui.tui.screens.when_prompt import WhenPrompt


@pytest.mark.parametrize("typed", ["+99999999999h", "in 3000000 days", "9999-12-31 23:59"])
async def test_far_away_callback_time_is_refused_in_the_prompt(
    app_factory, store, add_leads, settle, typed
):
    (lead,) = add_leads(draft("Ines Duarte", tz="America/Sao_Paulo"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, WhenPrompt)
        await pilot.press(*typed)
        await pilot.pause()
        assert "out of range" in screen_text(app)
        await pilot.press("enter")  # refused: the prompt stays, nothing is saved
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, WhenPrompt)
        assert store.touches(lead.id) == []
        await pilot.press("ctrl+u", *"+2h", "enter")
        await settle(pilot)
        assert [t.outcome for t in store.touches(lead.id)] == [Outcome.CALLBACK]


async def test_an_unexpected_error_in_a_handler_is_shown_logged_and_survived(
    app_factory, store, add_leads, settle, monkeypatch, paths
):
    first, second = add_leads(draft("Kofi Mensah", minutes_ago=1),
                              draft("Yara Nasser", minutes_ago=2))  # fmt: skip
    real_log = store.log_touch

    def broken(*args, **kwargs):
        raise StoreError(f"{store.path}: Read-only file system")

    monkeypatch.setattr(store, "log_touch", broken)

    def boom(*args, **kwargs):
        raise RuntimeError("a bug in a handler")

    import leadtui.tui.screens.workstation as workstation

    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")  # cannot be saved: stays in the outbox
        await settle(pilot)
        assert app.outbox.unsaved == 1
        monkeypatch.setattr(workstation, "copy_phone", boom)
        await pilot.press("y")  # the handler raises
        await settle(pilot)
        assert app.is_running and app.return_code is None
        messages = [n.message for n in app._notifications]
        assert any("a bug in a handler" in m and "1 unsaved" in m for m in messages)
        log = paths.data_dir / LOG_NAME
        assert "RuntimeError: a bug in a handler" in log.read_text()
        assert oct(log.stat().st_mode)[-3:] == "600"
        # the app still answers keys, and the kept outcome is saved once the store is back
        monkeypatch.setattr(store, "log_touch", real_log)
        await pilot.press("r")
        await settle(pilot)
        assert [t.outcome for t in store.touches(first.id)] == [Outcome.NO_ANSWER]
        assert app.outbox.unsaved == 0
        assert store.touches(second.id) == []


@pytest.mark.parametrize("goal", ["7" * 4400, "²", "10001"])
def test_blitz_goal_is_validated_without_raising_anything_else(goal: str) -> None:
    from leadtui.tui.screens.blitz_start import parse_plan

    with pytest.raises(ValueError, match="goal: "):
        parse_plan("45", goal)
    assert parse_plan("45", "120") == (45.0, 120)


# --- themes: checked as Textual will use them, a bad one reported once and skipped ----------

_BAD_THEMES = {
    "salmon": 'name = "salmon"\nprimary = "#cc5544"\n[variables]\nlead-aging = "coral-ish"\n',
    "foggy": 'name = "foggy"\nprimary = "#778899"\nluminosity_spread = nan\n',
    "glassy": 'name = "glassy"\nprimary = "#223344"\ntext_alpha = inf\n',
    "loud": 'name = "loud"\nprimary = "#223344"\n[variables]\nblock-cursor-text-style = "shouty"\n',
    "murky": 'name = "murky"\nprimary = "#223344"\n[variables]\nfooter-key-foreground = "ink"\n',
}


@pytest.mark.parametrize("name", sorted(_BAD_THEMES))
def test_theme_loader_refuses_values_textual_cannot_use(tmp_path, name: str) -> None:
    from leadtui.tui.themes import load_themes

    (tmp_path / f"{name}.toml").write_text(_BAD_THEMES[name])
    (tmp_path / "fine.toml").write_text(
        'name = "fine"\nprimary = "#336699"\nluminosity_spread = 0.2\n'
        '[variables]\nlead-aging = "#aa3322"\nblock-cursor-text-style = "bold"\n'
    )
    themes, problems = load_themes([tmp_path])
    assert [t.name for t in themes] == ["fine"]
    assert len(problems) == 1 and problems[0].name == name


@pytest.mark.parametrize("name", ["salmon", "foggy"])
async def test_choosing_a_bad_theme_reports_it_once_and_starts(
    app_factory, paths, settings, settle, name
):
    from dataclasses import replace

    paths.themes.mkdir(parents=True)
    for theme, text in _BAD_THEMES.items():
        (paths.themes / f"{theme}.toml").write_text(text)
    app = app_factory(settings=replace(settings, theme=name))  # --theme, config or env
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.is_running and app.theme == "leadtui-dark"
        assert name not in app.available_themes  # nor in the palette
        reports = [n.message for n in app._notifications if f"{name}.toml" in n.message]
        assert len(reports) == 1
        assert not any("unknown theme" in n.message for n in app._notifications)


async def test_workstation_opens_and_works_with_a_poisoned_lead(
    app_factory, store, add_leads, settle
):
    poisoned, fine = add_leads(draft("Olu Ade", tz="America/Denver", minutes_ago=1),
                               draft("Pia Berg", minutes_ago=2))  # fmt: skip
    with store._storage.transaction():  # as an older leadtui could store it
        key, doc = store._index.leads[poisoned.id]
        store._storage.put("leads", int(key), {**doc, "received_at": "0001-01-01T00:00:00+00:00"})
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.is_running
        assert "out of range" not in screen_text(app)
        assert "Pia Berg" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert [t.outcome for t in store.touches(fine.id)] == [Outcome.NO_ANSWER]
