"""A large PostgreSQL pool for the benchmarks (1,000,000 leads), loaded with COPY.

The same kind of pool as benchmarks/generate.py (the same mix of fresh, recent and old
leads worked with the real cadence engine, the same zones and sources), streamed in
chunks so memory stays flat, and written with COPY instead of one transaction per touch
(the store API would take hours at this size). Each lead row gets its status and stored
next action from the same functions the store uses (derive_status, rows.next_columns), so
the pool is exactly what the store would have written; `leadtui doctor` checks that.

Numbers are +1 555 NNN NNNN: area code 555 is not assigned, so no real person is in it
(the fictional 555-01xx range of generate.py holds only 80,000 numbers).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

from benchmarks.generate import (
    BENCH_NOW,
    FIRST,
    LAST,
    MAX_TOUCHES,
    OLD_BUDGETS,
    SEED,
    SOURCES,
    ZONES,
    _pick,
    _work,
)
from leadtui.domain.cadence import Cadence, derive_status
from leadtui.domain.model import Lead, LeadStatus, Outcome, Touch
from leadtui.domain.window import CallingWindow
from leadtui.store.index import email_key
from leadtui.store.postgres.figures import COLUMNS as FIGURE_COLUMNS
from leadtui.store.postgres.figures import row_of as figures_row
from leadtui.store.postgres.rows import NEXT_WRITE, next_columns
from leadtui.store.repository import new_id

CHUNK = 20_000


def leads_with_touches(
    count: int, cadence: Cadence, *, now: datetime = BENCH_NOW, seed: int = SEED
) -> Iterator[tuple[Lead, list[Touch]]]:
    """(lead with its final status, touches) for `count` leads, one at a time."""
    rng = random.Random(seed)
    used: set[str] = set()

    def fresh() -> str:  # random 40-bit ids meet at this size: skip the ones taken
        while (candidate := new_id()) in used:
            pass
        used.add(candidate)
        return candidate

    reps = ("Sam Rivera", "Alex Kim", "Jordan Lee", "Noor Patel", "Eli Tanaka")
    for i in range(count):
        tz, _country, _ = _pick(rng, ZONES)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}.{i}@example.com".lower() if rng.random() < 0.7 else ""
        kind, limit, cutoff = rng.random(), MAX_TOUCHES, now
        if kind < 0.02:
            received, cutoff = now - timedelta(minutes=rng.uniform(0.5, 180)), None
        elif kind < 0.22:
            received = now - timedelta(hours=rng.uniform(0.5, 21 * 24))
            if rng.random() < 0.25:
                cutoff = now - timedelta(hours=rng.uniform(0, 48))
        else:
            received = now - timedelta(days=rng.uniform(22, 365))
            limit = rng.choice(OLD_BUDGETS)
        lead = Lead(
            id=fresh(), name=f"{first} {last}", phone=f"+1555{i:07d}", email=email,
            source=_pick(rng, SOURCES)[0], timezone=tz, received_at=received.replace(microsecond=0),
        )  # fmt: skip
        touches: list[Touch] = []
        if cutoff is not None and cutoff > lead.received_at:
            planned = _work(rng, lead, cadence, cutoff, reps, limit)
            touches = [replace(t, id=fresh()) for t in planned]
        if any(t.outcome is Outcome.DNC for t in touches):
            status = LeadStatus.DNC
        else:
            status = derive_status(lead, touches, cadence)
        yield replace(lead, status=status), touches


def load(url: str, count: int, cadence: Cadence, *, say=print) -> dict[str, float]:  # noqa: ANN001
    """COPY `count` leads (and their touches, dnc numbers) into the pool at `url`, which
    must hold the schema and no leads. Returns counts and the seconds it took."""
    import psycopg

    window = CallingWindow()
    started = time.perf_counter()
    touches_total = 0
    with psycopg.connect(url) as conn:
        conn.execute("SET TimeZone TO 'UTC'")
        conn.execute("SET synchronous_commit TO off")  # bulk load only; the store never does
        stream = leads_with_touches(count, cadence)
        done = 0
        while done < count:
            chunk = [next(stream) for _ in range(min(CHUNK, count - done))]
            done += len(chunk)
            with conn.cursor() as cur:
                with cur.copy(
                    "COPY leads (id, name, phone, email, email_key, source, timezone, "
                    f"received_at, status, notes, {NEXT_WRITE}) FROM STDIN"
                ) as copy:
                    for lead, touches in chunk:
                        copy.write_row((
                            lead.id, lead.name, lead.phone, lead.email, email_key(lead.email),
                            lead.source, lead.timezone, lead.received_at, lead.status.value,
                            "", *next_columns(lead, touches, cadence, window),
                        ))  # fmt: skip
                # each lead's report figures, as the store writes them (changed_at: the
                # default now(), the same transaction time as the lead row's)
                with cur.copy(f"COPY lead_figures ({FIGURE_COLUMNS}) FROM STDIN") as copy:
                    for lead, touches in chunk:
                        copy.write_row(figures_row(lead, touches))
                with cur.copy(
                    "COPY touches (id, lead_id, outcome, at, note, asked_for, rep) FROM STDIN"
                ) as copy:
                    for lead, touches in chunk:
                        for t in touches:
                            copy.write_row((t.id, lead.id, t.outcome.value, t.at, "", t.when,
                                            t.rep))  # fmt: skip
                            touches_total += 1
                for lead, touches in chunk:
                    dnc = [t for t in touches if t.outcome is Outcome.DNC]
                    if dnc:
                        cur.execute(
                            "INSERT INTO dnc (phone, lead_id, touch_id, at) VALUES "
                            "(%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                            (lead.phone, lead.id, dnc[0].id, dnc[0].at),
                        )
            conn.commit()
            say(f"  {done:,} leads, {touches_total:,} touches, "
                f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        conn.execute("ANALYZE")
        conn.commit()
    return {"leads": count, "touches": touches_total, "seconds": time.perf_counter() - started}


_ = (FIRST, LAST)
