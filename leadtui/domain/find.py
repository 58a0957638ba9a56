"""Finding leads by what a rep remembers: a name, a phone number in any format, an email.

`find_leads` scores every lead against the text and returns the matches best first
(ties: the most recent arrival first). Scores, highest first: the id itself; the same
phone number (read in the rep's region, so `(212) 555-0101`, `212.555.0101` and
`+12125550101` all match); the same email; the same name; every word of the text a word
of the name; every word of the text starting a word of the name; the text's digits (4 or
more) inside the number; a part of the email; a part of the name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from leadtui.domain.model import Lead
from leadtui.domain.phone import normalise_phone

MIN_DIGITS = 4


@dataclass(frozen=True, slots=True)
class Found:
    """A lead that matches, how well (higher is better) and on what."""

    lead: Lead
    score: int
    matched: str  # "id", "phone", "email", "name"


def _phone_key(text: str, region: str) -> str | None:
    try:
        return normalise_phone(text, region)
    except Exception:
        return None


def score_lead(lead: Lead, needle: str, phone: str | None, digits: str) -> Found | None:
    """How well `lead` matches (None: not at all)."""
    name = lead.name.casefold()
    email = lead.email.casefold()
    words = needle.split()
    candidates: list[tuple[int, str]] = []
    if needle == lead.id.casefold():
        candidates.append((100, "id"))
    if phone is not None and phone == lead.phone:
        candidates.append((90, "phone"))
    if email and needle == email:
        candidates.append((85, "email"))
    if name and needle == name:
        candidates.append((80, "name"))
    name_words = name.split()
    if words and all(part in name_words for part in words):
        candidates.append((75, "name"))
    if words and all(any(w.startswith(part) for w in name_words) for part in words):
        candidates.append((70, "name"))
    if len(digits) >= MIN_DIGITS and digits in lead.phone:
        candidates.append((60, "phone"))
    if email and needle in email:
        candidates.append((50, "email"))
    if name and needle in name:
        candidates.append((40, "name"))
    if not candidates:
        return None
    score, matched = max(candidates)
    return Found(lead, score, matched)


def find_leads(leads: Iterable[Lead], text: str, region: str = "US") -> list[Found]:
    """Every lead matching `text`, best first; [] for blank text."""
    needle = " ".join(text.casefold().split())
    if not needle:
        return []
    digits = "".join(ch for ch in needle if ch.isdigit())
    phone = _phone_key(text, region) if len(digits) >= MIN_DIGITS else None
    found = [f for lead in leads if (f := score_lead(lead, needle, phone, digits)) is not None]
    found.sort(key=lambda f: (-f.score, -f.lead.received_at.timestamp(), f.lead.id))
    return found
