"""Phone numbers: normalise what people type into E.164, find the number's time zone.

Built on `phonenumbers` (Google's libphonenumber data).

Validity: a number is accepted when it parses and its length is *possible* for its
country (`is_possible_number`), not only when it is *valid* (`is_valid_number`). Demo data
and tests use fictional ranges such as 555-01xx that the US plan marks invalid; we still
want those to work. What is refused: text that is not a phone number (letters, stray
symbols), numbers that are too short or too long, numbers without an area code, unknown
country codes and, for +1 numbers, area codes or exchanges starting with 0 or 1 (nobody
can dial those).

An extension ("x12", "ext. 12", "#12") is accepted and dropped from the E.164 form (which
has no room for one); `parse_phone` returns it so intake can keep it in the notes.

Time zone: `zone_for_phone` uses phonenumbers' time zone data for the number's prefix; see
its docstring for what happens when the data lists several zones. `zone_candidates` says
when that zone is a guess: the zones the person may really be in (zone doubt), which the
calling window must all respect (window.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import (
    NumberParseException,
    PhoneNumberFormat,
    PhoneNumberType,
    ValidationResult,
)
from phonenumbers import timezone as pn_timezone

from leadtui.domain.model import LeadError
from leadtui.domain.phone_prefix import listed_zones as _listed_zones
from leadtui.domain.phone_prefix import significant_digits
from leadtui.domain.text import clean_text

__all__ = [
    "ParsedPhone",
    "format_phone",
    "normalise_phone",
    "parse_phone",
    "zone_candidates",
    "zone_for_phone",
]

MAX_PHONE_INPUT = 64  # characters of raw input we are willing to look at

# Digits (any script), spaces, a leading "+", the usual separators, then an optional extension.
_SHAPE = re.compile(
    r"""
    \+?\s*\(?\s*\+?                       # "+1", "(+44)"
    [\d\s().\-/\u2010-\u2015\u2212]*\d    # digits and separators, ending on a digit
    [\s)]*
    (?:[\s,;]*(?:x|ext\.?|extn\.?|extension|\#)\s*\d{1,7})?   # optional extension
    """,
    re.VERBOSE | re.IGNORECASE,
)

_REASONS = {
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "wrong number of digits",
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "missing its area code",
}

# Area codes whose zone list in phonenumbers puts a minority zone first. Keyed by E.164
# prefix; the value is where most of the people behind that prefix live.
_PREFERRED_ZONE = {
    "+1208": "America/Boise",  # Idaho: mostly Mountain
    "+1986": "America/Boise",
    "+1605": "America/Chicago",  # South Dakota: mostly Central (Sioux Falls)
    "+1701": "America/Chicago",  # North Dakota: mostly Central (Fargo, Bismarck)
    "+1709": "America/St_Johns",  # Newfoundland and Labrador: mostly Newfoundland
    "+1775": "America/Los_Angeles",  # northern Nevada
    "+1907": "America/Anchorage",  # Alaska: Adak is a few hundred people
}

# Countries with several zones whose mobiles phonenumbers lists for the whole country: the
# zone most of their people live in, shown as the lead's zone while it is unsure (the
# calling window respects every candidate zone anyway). Keyed by ISO region code.
_MAIN_ZONE = {
    "RU": "Europe/Moscow",
    "KZ": "Asia/Almaty",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "MX": "America/Mexico_City",
    "ID": "Asia/Jakarta",
    "CL": "America/Santiago",
}


@dataclass(frozen=True, slots=True)
class ParsedPhone:
    """A normalised number and the extension typed after it ("" when none)."""

    e164: str
    extension: str = ""


def _shown(raw: str) -> str:
    """The raw value, made safe and short enough to quote in an error message."""
    text = clean_text(raw, max_length=1 << 30, field="phone")
    if len(text) > 40:
        text = text[:39] + "\u2026"
    return repr(text)


def _parse(text: str, region: str) -> phonenumbers.PhoneNumber:
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException as exc:
        if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            if region not in phonenumbers.SUPPORTED_REGIONS and not text.lstrip().startswith("+"):
                raise LeadError(
                    f"phone {_shown(text)} has no country code and region {region!r} is "
                    "unknown: start the number with +"
                ) from None
            raise LeadError(
                f"phone {_shown(text)} is not a valid number (unknown country code)"
            ) from None
        raise LeadError(f"phone {_shown(text)} is not a valid number") from None


_PHONE_PREFIX = re.compile(r"^\s*(?:p|ph|phone|tel|mobile|m|callto)\s*:\s*", re.IGNORECASE)


def strip_phone_prefix(value: str) -> str:
    """`p:+14155550191` (Facebook's lead export), `tel:+1-...` (a link) -> the number alone."""
    return _PHONE_PREFIX.sub("", value, count=1)


def parse_phone(raw: str, region: str = "US") -> ParsedPhone:
    """Normalise a typed number to E.164 and keep its extension; LeadError when it is not one.

    `region` (ISO 3166 code, e.g. "US", "GB") is where a number without "+" is dialled from.
    """
    if raw is None:
        raise LeadError("phone is required")
    if not isinstance(raw, str):
        raise LeadError(f"phone must be text, not {type(raw).__name__}")
    if len(raw) > MAX_PHONE_INPUT * 4:
        raise LeadError(f"phone is longer than {MAX_PHONE_INPUT} characters")
    text = strip_phone_prefix(clean_text(raw, max_length=MAX_PHONE_INPUT, field="phone"))
    if not text:
        raise LeadError("phone is required")
    if not _SHAPE.fullmatch(text):
        raise LeadError(f"phone {_shown(text)} is not a valid number (only digits expected)")
    region = (region or "").strip().upper()
    number = _parse(text, region)
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != ValidationResult.IS_POSSIBLE and text.startswith("00"):
        # "0044 20 ..." typed with a region whose international prefix is not 00
        try:
            retry = phonenumbers.parse("+" + text[2:], None)
        except NumberParseException:
            retry = None
        if retry is not None and phonenumbers.is_possible_number(retry):
            number, reason = retry, ValidationResult.IS_POSSIBLE
    if reason != ValidationResult.IS_POSSIBLE:
        detail = _REASONS.get(reason, "not possible")
        raise LeadError(f"phone {_shown(text)} is not a valid number ({detail})")
    national = str(number.national_number)
    if number.country_code == 1 and (national[0] in "01" or national[3] in "01"):
        raise LeadError(f"phone {_shown(text)} is not a valid number (no such area code)")
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    _JUST_PARSED.clear()  # zone_for_phone(e164) right after need not parse it again
    _JUST_PARSED[e164] = number
    return ParsedPhone(e164=e164, extension=number.extension or "")


# The last number parse_phone parsed, by its E.164 form (one entry; a CSV import of a
# million rows calls parse_phone then zone_for_phone for each, and the second parse was
# a fifth of the import's time). The extension does not change the number's zones.
_JUST_PARSED: dict[str, phonenumbers.PhoneNumber] = {}


def normalise_phone(raw: str, region: str = "US") -> str:
    """The number in E.164 ("+14155552671"); LeadError with a one-line reason otherwise."""
    return parse_phone(raw, region).e164


@lru_cache(maxsize=1024)
def _zone_exists(name: str) -> bool:
    try:
        ZoneInfo(name)
    except Exception:  # unknown to this machine's tz database, or not a key at all
        return False
    return True


@lru_cache(maxsize=4096)
def _zones_and_region(e164: str) -> tuple[tuple[str, ...], bool, str]:
    """(usable zones for the number, True when the list is the whole country's, the
    number's region code or ""). Numbers whose first significant digits (phone_prefix.py)
    and length agree share the answer, computed once (`_BY_PREFIX`)."""
    number = _JUST_PARSED.get(e164)
    if number is None:
        try:
            number = phonenumbers.parse(e164, None)
        except NumberParseException:
            return (), False, ""
    code = number.country_code
    depth = significant_digits(code) if code is not None else None
    if code is None or depth is None:
        return _zones_of(number)
    national = phonenumbers.national_significant_number(number)
    key = (code, len(national), national[:depth])
    found = _BY_PREFIX.get(key)
    if found is None:
        if len(_BY_PREFIX) >= _BY_PREFIX_MAX:
            _BY_PREFIX.clear()
        found = _BY_PREFIX[key] = _zones_of(number)
    return found


# (calling code, national length, first significant digits) -> `_zones_of`'s answer
_BY_PREFIX: dict[tuple[int, int, str], tuple[tuple[str, ...], bool, str]] = {}
_BY_PREFIX_MAX = 1 << 16


def _zones_of(number: phonenumbers.PhoneNumber) -> tuple[tuple[str, ...], bool, str]:
    """`_zones_and_region` for a parsed number, computed (no cache)."""
    listed, region = _listed_zones(number)
    whole_country = listed == tuple(pn_timezone._country_level_time_zones_for_number(number))
    zones = tuple(z for z in listed if z != pn_timezone.UNKNOWN_TIMEZONE and _zone_exists(z))
    if zones:
        # phonenumbers' prefix data can list only other countries' zones for a number
        # (Irish numbers get London, Guernsey and the Isle of Man): where none of the
        # listed zones is the number's own country's and that country keeps one zone,
        # the country's zone is the answer.
        own = _zones_by_country().get(region)
        if own and len(own) == 1 and not own.intersection(zones):
            return tuple(own), False, region
    return zones, whole_country and len(zones) > 1, region


def _zones(e164: str) -> tuple[tuple[str, ...], bool]:
    """(usable zones for the number, True when the list is the whole country's)."""
    zones, whole_country, _ = _zones_and_region(e164)
    return zones, whole_country


def zone_for_phone(e164: str, default: str | None = None) -> str | None:
    """The IANA zone of a number (from phonenumbers' prefix data), or None if unknown.

    One listed zone: that zone. Several (an area code that spans zones, a mobile range
    valid across a country):
      1. a small table of prefixes where the first listed zone is a minority wins;
      2. `default` (the rep's default zone) when it is one of them;
      3. a number listed for its whole country: for +1 (toll-free, non-geographic, some
         Caribbean islands) None, we do not know; elsewhere the zone of the country's
         example landline (e.g. an Australian mobile: Sydney);
      4. otherwise the first listed zone (at least the right country).
    No zone data at all: the country's zone where the country has one answer.
    """
    zones, whole_country = _zones(e164)
    if not zones:
        return _country_zone(e164)
    if len(zones) == 1:
        return zones[0]
    preferred = _PREFERRED_ZONE.get(e164[:5])
    if preferred and _zone_exists(preferred):
        return preferred
    if default and default in zones:
        return default
    if whole_country:
        # A range valid across the whole country (mobiles): None for +1, else the
        # country's main zone, or the zone of its example landline.
        if e164.startswith("+1"):
            return None
        own = _own_country(e164)
        main = _MAIN_ZONE.get(_region(e164))
        if main in own:
            return main
        country = _country_zone(e164)
        return country if country in own else own[0]
    return zones[0]


def _region(e164: str) -> str:
    return _zones_and_region(e164)[2]


@cache
def _zones_by_country() -> dict[str, frozenset[str]]:
    """ISO region code -> its zones, from the tz database's zone.tab (the tzdata package,
    else the system's copy); empty when neither can be read."""
    text = ""
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        try:
            text = Path("/usr/share/zoneinfo/zone.tab").read_text("utf-8")
        except OSError:
            text = ""
    found: dict[str, set[str]] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) >= 3:
            found.setdefault(parts[0], set()).add(parts[2])
    return {code: frozenset(names) for code, names in found.items()}


@lru_cache(maxsize=4096)
def _own_country(e164: str) -> tuple[str, ...]:
    """The listed zones of the number that belong to its own country (phonenumbers lists
    +7 mobiles with Kazakhstan's and Romania's zones too, UK mobiles with the Channel
    Islands'); all listed zones when zone.tab does not help."""
    zones, _ = _zones(e164)
    own = _zones_by_country().get(_region(e164), frozenset())
    kept = tuple(z for z in zones if z in own)
    return kept or zones


_HALF_YEAR = timedelta(days=182)


def zone_candidates(e164: str, primary: str, at: datetime) -> tuple[str, ...]:
    """The zones the lead may be in when the number leaves it open, `primary` first: ()
    when the number names one zone (or its zones keep the same clock all year), when it
    is a +1 number valid across the whole plan (toll-free: no place at all), or when the
    zones are too far apart to share a calling hour (then `primary` is the best guess).

    `at` (aware) picks the offsets compared: at `at` and half a year later (DST).
    """
    zones, whole_country = _zones(e164)
    if len(zones) < 2 or (whole_country and e164.startswith("+1")):
        return ()
    names = _own_country(e164)
    if primary in names:
        names = (primary, *(z for z in names if z != primary))
    elif primary not in zones:
        return ()
    seen: set[tuple[timedelta | None, timedelta | None]] = set()
    kept: list[str] = []
    for name in names:
        z = ZoneInfo(name)
        clocks = (at.astimezone(z).utcoffset(), (at + _HALF_YEAR).astimezone(z).utcoffset())
        if clocks not in seen:
            seen.add(clocks)
            kept.append(name)
    if len(kept) < 2:
        return ()
    from leadtui.domain.window import CallingWindow, common_opening

    if common_opening(CallingWindow(), tuple(map(ZoneInfo, kept)), at) is None:
        return ()
    return tuple(kept)


@lru_cache(maxsize=512)
def _country_zone(e164: str) -> str | None:
    """For a number whose own range has no zone data (e.g. a UK mobile in a range set
    aside for fiction): the zone of the country's example fixed-line number, when the
    country is not +1 (where the zone varies by area code and we'd rather not guess)."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return None
    if number.country_code is None or number.country_code == 1:
        return None
    region = phonenumbers.region_code_for_country_code(number.country_code)
    example = phonenumbers.example_number_for_type(region, PhoneNumberType.FIXED_LINE)
    if example is None:
        return None
    zones = [
        z
        for z in pn_timezone.time_zones_for_number(example)
        if z != pn_timezone.UNKNOWN_TIMEZONE and _zone_exists(z)
    ]
    return zones[0] if zones else None


def format_phone(e164: str) -> str:
    """A number for people to read: international format ("+1 415-555-2671").

    Never raises: a value that does not parse is returned cleaned but otherwise as is.
    """
    try:
        number = phonenumbers.parse(e164, None)
    except (NumberParseException, TypeError):
        return clean_text(str(e164), max_length=1 << 30)[:40]
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
