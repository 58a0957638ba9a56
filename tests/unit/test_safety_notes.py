"""Notes written by any face (CLI `log --note`, the workstation, blitz) are stored clean.

Before this, a touch note went to disk exactly as typed: escape sequences, bidi overrides
and lone surrogates (from non-UTF-8 argv bytes) were stored raw, a lone surrogate then
crashed `leadtui show` on a strict UTF-8 stdout, and a megabyte note was accepted.
Runs on both backends (TinyDB and the test session's PostgreSQL server).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from safety_support import unsafe_chars

from leadtui.domain.model import LeadDraft, LeadError, Outcome
from leadtui.store.repository import TinyLeadStore

T0 = datetime(2025, 3, 10, 18, tzinfo=UTC)
HOSTILE = "a\x1b]0;pwned\x07b \x1b[31mred\x9b2J \u202eevil\u202c \x00nul \udcff\r\nnext"


@pytest.fixture(scope="module", params=["tinydb", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    from store_backends import Backend

    if request.param == "postgres":
        server = request.getfixturevalue("pg_server")
        chosen = Backend("postgres", server.new_database())
    else:
        chosen = Backend("tinydb", str(tmp_path_factory.mktemp("notes") / "leads.json"))
    yield chosen
    chosen.close_all()


@pytest.fixture(scope="module")
def store(backend) -> TinyLeadStore:
    return backend.open()


@pytest.fixture(scope="module")
def lead_id(store: TinyLeadStore) -> str:
    draft = LeadDraft("Nora Note", "+12125550181", "", "web", "America/New_York", T0)
    return store.add_leads([draft], T0)[0].lead.id


def test_touch_note_is_cleaned_before_it_is_stored(
    store: TinyLeadStore, lead_id: str, backend
) -> None:
    touch = store.log_touch(lead_id, Outcome.EMAIL, T0, note=HOSTILE)
    assert touch.note == "ab red evil nul \nnext"
    assert store.touches(lead_id)[-1].note == touch.note
    again = backend.open()
    assert again.touches(lead_id)[-1].note == touch.note
    again.close()


def test_lead_note_is_cleaned_before_it_is_stored(store: TinyLeadStore, lead_id: str) -> None:
    lead = store.add_note(lead_id, HOSTILE, T0)
    assert lead.notes.endswith("] ab red evil nul \nnext")


def test_megabyte_note_is_refused_and_nothing_is_stored(store: TinyLeadStore, lead_id: str) -> None:
    touches, notes = store.touches(lead_id), store.get_lead(lead_id).notes
    for write in (
        lambda: store.log_touch(lead_id, Outcome.EMAIL, T0, note="x" * 1_000_000),
        lambda: store.add_note(lead_id, "y" * 10_001, T0),
    ):
        with pytest.raises(LeadError, match="note is longer than 10000 characters"):
            write()
    assert store.touches(lead_id) == touches and store.get_lead(lead_id).notes == notes


@settings(max_examples=150, deadline=None)
@given(note=st.text(alphabet=st.characters(codec=None), max_size=60))
def test_any_note_is_stored_as_plain_text(store: TinyLeadStore, lead_id: str, note: str) -> None:
    stored = store.log_touch(lead_id, Outcome.TEXT, T0, note=note).note
    assert not unsafe_chars(stored)
    stored.encode("utf-8")  # no lone surrogates
