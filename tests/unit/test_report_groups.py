"""The report from leads added up in groups equals the report lead by lead (issue 14).

PostgreSQL groups the figures of most leads on the server (`report_groups`: leads one rep,
or none, touched, without blitz dials); `sum_figures` adds a `FactGroup` as if it were
each of its leads. Checked here: the pure sums (groups built in Python from random
facts), the grouped path actually taken on a real server (a group per shape, not a row
per lead), and the migration that added the columns filling them from the stored texts.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from store_backends import Backend

from leadtui.domain.figures import HOUR_CODES, LeadFact, LeadFigures
from leadtui.domain.metrics import Tally
from leadtui.domain.model import LeadDraft, Outcome
from leadtui.domain.report_sums import FactGroup, sum_figures
from leadtui.io.report import build_report

START = datetime(2028, 2, 3, 8, 15, tzinfo=UTC)
THRESHOLD = timedelta(minutes=4)
SOURCES = ("Fair", "fair", "Cold list", "(no source)")
SPELLINGS = ("Ines", "ines ", "Marek", "")


def random_fact(rng: random.Random) -> LeadFact:
    calls = rng.randrange(0, 5)
    hours = "".join(rng.choice(HOUR_CODES[10:30]) for _ in range(calls))
    outcomes = "".join(rng.choice("nhmtcaibdwex") for _ in range(calls + rng.randrange(0, 2)))
    first = None if not calls else float(rng.choice((0, 30, 59.5, 60, 61, 300, 9000, 2e5)))
    first = first if first is None else first + rng.randrange(0, 3) / 8
    attempts, flags = rng.randrange(0, min(calls, 3) + 1), rng.choice((0, 1, 2, 3, 5))
    return LeadFact(outcomes, first, hours, attempts, flags)


def random_leads(rng: random.Random, count: int) -> list[LeadFigures]:
    leads = []
    for n in range(count):
        fact = random_fact(rng)
        spelling = rng.choice(SPELLINGS)
        reps = {} if rng.random() < 0.1 else {spelling.strip().casefold(): (spelling.strip(), fact)}
        received = START + timedelta(hours=n % 40)
        leads.append(LeadFigures(rng.choice(SOURCES), received, fact, reps, []))
    return leads


def grouped(leads: Iterable[LeadFigures], since: datetime | None) -> list[FactGroup]:
    """What the server's GROUP BY returns for these (one-rep, dial-free) leads."""
    found: dict[tuple[Any, ...], list[LeadFigures]] = {}
    for lead in leads:
        spelling = next(iter(lead.reps.values()))[0] if lead.reps else None
        in_scope = since is None or lead.received_at >= since
        key = (lead.source, spelling, in_scope, lead.fact.attempts, lead.fact.flags)
        found.setdefault(key, []).append(lead)
    return [
        FactGroup(
            source, spelling, in_scope, len(members),
            "".join(m.fact.outcomes for m in members), "".join(m.fact.hours for m in members),
            [m.fact.first_call for m in members if m.fact.first_call is not None],
            attempts, flags,
        )  # fmt: skip
        for (source, spelling, in_scope, attempts, flags), members in found.items()
    ]


@pytest.mark.parametrize("seed", [3, 41])
def test_groups_add_up_exactly_like_their_leads(seed: int) -> None:
    rng = random.Random(seed)
    leads = random_leads(rng, 2500)
    loose = random_leads(rng, 40)  # (read lead by lead beside the groups)
    scopes: list[dict[str, Any]] = [
        {}, {"source": "FAIR"}, {"since": START + timedelta(hours=17)}, {"rep": "INES"},
        {"rep": "marek", "source": "cold list", "since": START + timedelta(hours=3)},
        {"rep": ""},
    ]  # fmt: skip
    for scope in scopes:
        one_by_one = sum_figures([*leads, *loose], THRESHOLD, **scope)
        groups = grouped(leads, scope.get("since"))
        assert len(groups) < len(leads) / 3
        at_once = sum_figures([*loose, *groups], THRESHOLD, **scope)
        assert at_once == one_by_one, scope


def test_a_tally_adds_a_group_as_its_facts() -> None:
    rng = random.Random(9)
    facts = [random_fact(rng)._replace(attempts=2, flags=f) for f in (0, 1, 2, 3, 5) * 7]
    one = Tally(THRESHOLD)
    for fact in facts:
        one.add(fact)
    many = Tally(THRESHOLD)
    for flags in (0, 1, 2, 3, 5):
        same = [f for f in facts if f.flags == flags]
        speeds = [f.first_call for f in same if f.first_call is not None]
        outcomes, hours = "".join(f.outcomes for f in same), "".join(f.hours for f in same)
        many.add_group(len(same), Counter(outcomes), Counter(hours), speeds[::-1], 2, flags)
    assert many.figures() == one.figures()


class Streamed:
    """The store without its stored figures: every lead computed from its touches."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def leads_with_touches(self) -> Any:
        return self.store.leads_with_touches()

    def blitzes(self) -> list[dict[str, Any]]:
        return self.store.blitzes()


def team_pool(store: Any, rng: random.Random, count: int, source: str = "Fair") -> int:
    """`count` leads worked by one rep each, but every fifth by two reps or in a blitz;
    returns how many leads the server can group."""
    drafts = [
        LeadDraft(name=f"Group {n}", phone=f"+1303555{n:04d}", email="",
                  source=rng.choice((source, "Cold list", "")), timezone="America/Chicago",
                  received_at=START + timedelta(minutes=7 * n))
        for n in range(count)
    ]  # fmt: skip
    ids = [result.lead.id for result in store.add_leads(drafts, START + timedelta(days=1))]
    solo = 0
    for n, lead_id in enumerate(ids):
        at = START + timedelta(days=1, minutes=n)
        rep = ("Ines", "Marek")[n % 2]
        for k in range(n % 3):
            outcome = (Outcome.NO_ANSWER, Outcome.TALKED)[(n + k) % 2]
            store.log_touch(lead_id, outcome, at + timedelta(hours=k), rep=rep)
        if n % 5 == 4:  # a second rep (or a blitz dial): lead by lead
            blitz = "bz9" if n % 10 == 4 else None
            dialed = at - timedelta(seconds=40) if blitz else None
            store.log_touch(lead_id, Outcome.VM_HANGUP, at, rep=" lena", blitz_id=blitz,
                            dialed_at=dialed)  # fmt: skip
            solo += n % 3 == 0 and blitz is None  # (Lena's touch was its only one)
        else:
            solo += 1
    return solo


def test_postgres_adds_most_leads_up_on_the_server(pg_url: str) -> None:
    backend = Backend("postgres", pg_url)
    store = backend.open()
    solo = team_pool(store, random.Random(2), 90)
    items = list(store.report_groups(None))
    groups = [item for item in items if isinstance(item, FactGroup)]
    assert sum(group.leads for group in groups) == solo
    assert len(items) - len(groups) == 90 - solo  # the others lead by lead
    assert len(groups) <= 20  # a row per shape, not per lead
    now = START + timedelta(days=3)
    since = START + timedelta(hours=5)
    scoped = [g for g in store.report_groups(since) if isinstance(g, FactGroup)]
    assert 0 < sum(g.leads for g in scoped if g.in_scope) < solo
    assert sum(g.leads for g in scoped) == solo
    for scope in ({}, {"since": since}, {"rep": "ines"}, {"source": "fair", "rep": "Marek"}):
        fast = build_report(store, now=now, threshold=THRESHOLD, **scope)
        slow = build_report(Streamed(store), now=now, threshold=THRESHOLD, **scope)
        assert fast == slow, scope
    store.close()


def test_the_migration_fills_the_columns_from_the_stored_texts(pg_url: str) -> None:
    from leadtui.store.postgres.schema import MIGRATIONS, SCHEMA, migrate

    backend = Backend("postgres", pg_url)
    store = backend.open()
    team_pool(store, random.Random(4), 40, source='Ex"po \\ Zürich')
    columns = (
        "grouped, received_at, source, rep_name, outcomes, hours, first_call, attempts, flags"
    )
    written = backend.sql(f"SELECT lead_id, {columns} FROM lead_figures ORDER BY lead_id")
    escaped = {row[0] for row in written if row[3] == 'Ex"po \\ Zürich'}
    assert escaped and sum(row[1] for row in written) > 20
    # the database as the migration before left it, then migrated
    backend.sql(
        "ALTER TABLE lead_figures DROP COLUMN grouped, DROP COLUMN received_at, "
        "DROP COLUMN source, DROP COLUMN rep_name, DROP COLUMN outcomes, DROP COLUMN hours, "
        "DROP COLUMN first_call, DROP COLUMN attempts, DROP COLUMN flags"
    )
    number = next(n for n, sql in enumerate(MIGRATIONS, 1) if "ADD COLUMN grouped" in sql)
    assert number == SCHEMA  # (the latest; after a later one, undo that one too here)
    backend.sql("DELETE FROM schema_version WHERE version = %s", number)
    assert migrate(pg_url) == (number - 1, number)
    filled = backend.sql(f"SELECT lead_id, {columns} FROM lead_figures ORDER BY lead_id")
    for before, after in zip(written, filled, strict=True):
        if before[0] in escaped:  # (a text with JSON escapes stays lead by lead)
            assert after[1:] == (False, *[None] * 8)
        else:
            assert after == before
    now = START + timedelta(days=2)
    for scope in ({}, {"source": 'ex"po \\ zürich'}, {"rep": "Marek"}):
        fast = build_report(store, now=now, threshold=THRESHOLD, **scope)
        assert fast == build_report(Streamed(store), now=now, threshold=THRESHOLD, **scope)
    store.close()
