"""The report's one pass (`compute_by_source`) against computing each group alone."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from leadtui.domain.metrics import compute, compute_by_source, source_label
from leadtui.domain.model import Lead, LeadStatus, Outcome, Touch

BASE = datetime(2027, 5, 11, 13, 5, tzinfo=UTC)


def pool(seed: int) -> tuple[list[Lead], dict[str, list[Touch]]]:
    rng = random.Random(seed)
    leads, touches = [], {}
    for n in range(300):
        received = BASE - timedelta(minutes=rng.randrange(0, 90_000))
        lead = Lead(
            id=f"q{n}",
            name=f"P {n}",
            phone=f"+4930{n:07d}",
            email="",
            source=rng.choice(("Fair", "fair ", "", "ads", "Zeta", "alpha")),
            timezone=rng.choice(("Europe/Berlin", "Asia/Kolkata", "America/Halifax", "Nowhere/X")),
            received_at=received,
            status=rng.choice(tuple(LeadStatus)),
        )
        leads.append(lead)
        at = received
        mine = []
        for k in range(rng.choice((0, 0, 1, 3, 7, 12))):
            at += timedelta(minutes=rng.randrange(-30, 3000))  # sometimes out of order
            mine.append(
                Touch(id=f"t{n}-{k}", lead_id=lead.id, outcome=rng.choice(tuple(Outcome)), at=at)
            )
        if mine or rng.random() < 0.5:
            touches[lead.id] = mine
    return leads, touches


def test_one_pass_equals_every_group_computed_alone() -> None:
    for seed in (5, 88, 1234):
        leads, touches = pool(seed)
        threshold = timedelta(minutes=11)
        overall, groups = compute_by_source(leads, touches, threshold)
        assert overall == compute(leads, touches, threshold)
        assert set(groups) == {source_label(lead) for lead in leads}
        keys = [name.casefold() for name in groups]
        assert keys == sorted(keys)
        for name, figures in groups.items():
            alone = [lead for lead in leads if source_label(lead) == name]
            assert figures == compute(alone, touches, threshold)
