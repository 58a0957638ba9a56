"""One registry of bindings (tui/keys.py): every screen's remappable key is in it, ids are
unique per screen, and the palette and help read their keys from it (remaps included)."""

from __future__ import annotations

from textual.binding import Binding

from leadtui.tui.app import LeadApp
from leadtui.tui.keys import (
    BINDING_IDS,
    PALETTE,
    REMAPPABLE,
    by_id,
    key_label,
    palette_entries,
)
from leadtui.tui.screens.blitz import BlitzScreen
from leadtui.tui.screens.report import ReportScreen
from leadtui.tui.screens.workstation import WorkstationScreen
from leadtui.tui.widgets.lead_queue import LeadQueue

REGISTERED_SCREENS = (LeadApp, WorkstationScreen, BlitzScreen, ReportScreen, LeadQueue)


def test_every_binding_of_the_main_screens_comes_from_the_registry() -> None:
    for owner in REGISTERED_SCREENS:
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding), owner
            assert binding.id in BINDING_IDS, (owner.__name__, binding.key)
            assert any(binding is known for known in REMAPPABLE), (owner.__name__, binding.id)


def test_ids_are_unique_within_each_screen() -> None:
    for owner in REGISTERED_SCREENS:
        ids = [b.id for b in owner.BINDINGS if isinstance(b, Binding)]
        assert len(ids) == len(set(ids)), owner.__name__


def test_the_palette_names_only_registered_bindings_and_shows_remapped_keys() -> None:
    assert all(binding_id in BINDING_IDS for *_, binding_id in PALETTE if binding_id)
    keymap = {"toggle_all": "F7,ctrl+t", "report": "f9"}
    helps = {name: what for name, what, _ in palette_entries(keymap)}
    assert helps["Show all active leads / due queue"] == "Toggle the queue view (F7)"
    assert helps["Report"].endswith("(f9)")
    assert helps["Filter leads"].endswith("(/)")  # not remapped: the default key
    assert helps["Rep details"] == "Your name and phone for the scripts"  # no key


def test_key_labels_follow_the_keymap() -> None:
    assert key_label(by_id("help"), {}) == "? F1"
    assert key_label(by_id("vm_message"), {"vm_message": "3"}) == "3"
