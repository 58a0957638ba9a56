"""Validation in worker processes gives the same drafts and rejections, in the same
order, as validation in the importing process (rows and drafts travel as tuples)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from leadtui.io import csv_import
from leadtui.io.aliases import load_aliases
from leadtui.io.csv_read import read_csv

NOW = datetime(2025, 6, 3, 17, 30, tzinfo=UTC)


def _csv(rows: int) -> bytes:
    lines = ["Name,Mobile,Phone,Email,Time Zone,Created,Notes"]
    for i in range(rows):
        phone = f"+44 7700 9{i % 100_000:05d}"
        other = f"(312) 555-{i % 10_000:04d} x{i % 90 + 10}" if i % 3 == 0 else ""
        zone = "Pacific" if i % 5 == 0 else ""
        when = f"2025-05-{1 + i % 28:02d} 08:{i % 60:02d}" if i % 4 else "2025-05-02"
        if i % 97 == 0:
            phone = "not a number"  # rejected (no other valid one) or noted
        if i % 211 == 0:
            when = "9999-12-31 23:59:59"  # out of range: rejected
        lines.append(f'"Row {i}",{phone},{other},r{i}@Example.ORG,{zone},{when},"n\n{i}"')
    return ("\n".join(lines) + "\n").encode()


def _results(workers: int, data: bytes) -> list[object]:
    _, rows = read_csv(io.BytesIO(data), load_aliases())
    ctx = csv_import.RowContext(NOW, "Expo", "GB", "Europe/London")
    return list(csv_import.validated(rows, ctx, workers))


def test_workers_give_the_same_drafts_and_rejections_in_order() -> None:
    data = _csv(csv_import.BATCH_ROWS * 3 + 17)
    alone, shared = _results(1, data), _results(2, data)
    assert shared == alone
    kinds = {type(item).__name__ for item in alone}
    assert kinds == {"LeadDraft", "Rejection"}
    assert any(getattr(item, "other_phones", ()) for item in alone)
