"""Drafts spooled ahead (`SpooledDraft`, made by the import's workers with the store's
`spool_encoder()`) are stored exactly as the same drafts handed in plain."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from leadtui.domain.cadence import load_cadence
from leadtui.domain.inquiry import new_lead
from leadtui.domain.model import LeadDraft
from leadtui.store import bulk
from leadtui.store.index import lead_doc
from leadtui.store.protocol import SpooledDraft
from leadtui.store.repository import open_store

T0 = datetime(2025, 3, 14, 9, 26, tzinfo=UTC)
CADENCE = load_cadence()
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


def spooled(draft: LeadDraft) -> SpooledDraft:
    values = [getattr(draft, name) for name in LeadDraft.__dataclass_fields__]
    return SpooledDraft(*values, bulk.spool_record(draft, T0))


@settings(max_examples=300, deadline=None)
@given(
    name=TEXT, email=TEXT, source=TEXT, notes=TEXT,
    others=st.lists(st.from_regex(r"\+4420794\d{5}", fullmatch=True), max_size=3),
    candidates=st.lists(st.sampled_from(["America/Chicago", "America/Denver"]), max_size=2),
    minutes=st.integers(0, 10**6),
    lead_id=st.from_regex(r"[a-z2-7]{8}", fullmatch=True),
)  # fmt: skip
def test_the_spooled_document_is_the_new_leads_document(
    name: str, email: str, source: str, notes: str, others: list[str],
    candidates: list[str], minutes: int, lead_id: str,
) -> None:  # fmt: skip
    draft = LeadDraft(
        name, "+12125550100", email, source, "America/New_York",
        T0 - timedelta(minutes=minutes), notes, tuple(others), tuple(candidates),
    )  # fmt: skip
    record = bulk.spool_record(draft, T0)
    (length, size) = bulk._HEAD.unpack_from(record)
    body = record[bulk._HEAD.size + length :]
    assert len(body) == size
    made = b'{"id":"%s",%s' % (lead_id.encode(), body)
    assert made == bulk._encode_json(lead_doc(new_lead(lead_id, draft, listed=False))).encode()
    assert bulk._draft(bulk._unpacked(record)) == draft


def _drafts() -> list[LeadDraft]:
    def one(n: int, **changes: object) -> LeadDraft:
        values: dict[str, object] = dict(
            name=f'Ké "{n}" \\ 名', phone=f"+1312555{n:04d}", email=f"k{n}@Example.org",
            source="fair", timezone="America/Chicago", received_at=T0 - timedelta(hours=n),
            notes="line one\nline two" if n % 2 else "",
        )  # fmt: skip
        values.update(changes)
        return LeadDraft(**values)  # type: ignore[arg-type]

    return [
        one(1),
        one(2, other_phones=("+13125559999",), zone_candidates=("America/Chicago",)),
        one(3),
        one(4, email="K3@example.org"),  # a repeat of 3 by email: the slow path
        one(1, name="One Again"),  # a repeat of 1 by phone
        one(5),
    ]


def _stored(db: Path, drafts: list[LeadDraft], seed: list[LeadDraft]) -> dict[str, dict]:
    with open_store(db, cadence=CADENCE) as store:
        store.add_leads(seed, T0)
        store.add_leads_streamed(iter(drafts), T0)
        docs = {lead.phone: lead_doc(lead) for lead in store.leads()}
    for doc in docs.values():
        doc.pop("id")
    return docs


def test_spooled_drafts_store_what_plain_drafts_store(tmp_path: Path) -> None:
    seed = [_drafts()[2]]  # lead 3 is stored already: matched, not new
    plain = _stored(tmp_path / "a" / "leads.json", _drafts(), seed)
    ahead = _stored(tmp_path / "b" / "leads.json", [spooled(d) for d in _drafts()], seed)
    assert ahead == plain
    assert len(plain) == 4 and plain["+13125550001"]["inquiries"]
    with open_store(tmp_path / "c" / "leads.json", cadence=CADENCE) as store:
        assert store.spool_encoder() is bulk.spool_record


@settings(max_examples=500, deadline=None)
@given(number=st.integers(0, (1 << 40) - 1))
def test_lead_ids_are_the_base32_of_their_number(number: int) -> None:
    expected = base64.b32encode(number.to_bytes(5, "big")).decode("ascii").lower()
    assert bulk._id(number) == expected
    assert bulk._id(0) == "aaaaaaaa" and bulk._id((1 << 40) - 1) == "77777777"
