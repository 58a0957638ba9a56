"""How many leading digits of a national number decide its zones: the key of phone.py's
zone cache.

phonenumbers finds a number's zones from its region and type (each a regular-expression
match of the whole national number against the metadata of the regions sharing its
calling code) and from the longest prefix of the number in its time zone table. Those
patterns look at the first digits of the number and then only count the rest (`...[2-9]\\d{6}`:
any six digits). `significant_digits(cc)` reads every pattern phonenumbers may consult for
calling code `cc` and returns D, the number of leading national digits after which no
pattern, and no time zone prefix, tells one digit from another; None when some pattern
cannot be bounded (then nothing is cached by prefix for that code).

Why that is exact: a pattern is read as a sequence of items. An item that accepts every
digit (`\\d`, `[0-9]`, `.`, repeated any number of times) is a *wildcard*; the others are
*significant*. When the last significant item of a sequence ends at most D characters in,
a digit string s of length L matches the sequence if and only if some split s = u v has
u (at most D long) matching the items up to that last significant one and v of a length
the wildcard tail allows: that depends on s[:D] and L only. An alternation takes the
largest D of its branches; a group that is not last is counted at its full width. Anything
else (anchors, look-arounds, back references) gives None. A prefix match (a region's
leading digits) looks at most at the pattern's widest match. So two national numbers of
the same calling code and length that agree on their first D digits get the same zones,
and the cache keyed by (code, length, first D digits) answers exactly what phonenumbers
would. `tests/unit/test_phone_prefix.py` checks both the rule and the answers.

`listed_zones` / `region_and_kind`: phonenumbers' own steps for a number's zones and
region, the region and type found once (phone.py's uncached computation).
"""

from __future__ import annotations

import importlib
import re
from functools import cache
from typing import Any

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberType, is_number_type_geographical
from phonenumbers import timezone as pn_timezone
from phonenumbers.phonenumberutil import _number_type_helper
from phonenumbers.tzdata import TIMEZONE_DATA

# Python's own regular expression parser (re._parser, Python 3.11+): the patterns are
# read exactly as `re` compiles them.
sre_parse: Any = importlib.import_module("re._parser")
sre_c: Any = importlib.import_module("re._constants")

__all__ = ["listed_zones", "pattern_depth", "prefix_width", "region_and_kind", "significant_digits"]

_DESCS = (
    "general_desc", "fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost",
    "personal_number", "voip", "pager", "uan", "voicemail",
)  # fmt: skip
_DIGITS = frozenset(range(ord("0"), ord("9") + 1))


class _Unbounded(Exception):
    """A pattern whose significant part has no upper bound (or uses a construct the rule
    does not cover)."""


def _single_accepts_all_digits(op: Any, av: Any) -> bool:
    if op is sre_c.ANY:
        return True
    if op is not sre_c.IN:
        return False
    accepted: set[int] = set()
    for kind, value in av:
        if kind is sre_c.NEGATE:
            return False
        if kind is sre_c.CATEGORY:
            if value is sre_c.CATEGORY_DIGIT:
                return True
        elif kind is sre_c.RANGE:
            accepted.update(range(value[0], value[1] + 1))
        elif kind is sre_c.LITERAL:
            accepted.add(value)
    return _DIGITS <= accepted


def _wildcard(op: Any, av: Any) -> bool:
    """True for an item that accepts every digit at each place it consumes."""
    if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
        _, _, body = av
        return all(_wildcard(o, a) for o, a in body)
    return _single_accepts_all_digits(op, av)


def _width(items: Any) -> int:
    """The widest match of a sequence of items; _Unbounded when it has none."""
    total = 0
    for op, av in items:
        if op in (sre_c.LITERAL, sre_c.NOT_LITERAL, sre_c.IN, sre_c.ANY):
            total += 1
        elif op is sre_c.BRANCH:
            total += max(_width(alt) for alt in av[1])
        elif op is sre_c.SUBPATTERN:
            total += _width(av[-1])
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
            low, high, body = av
            if high is sre_c.MAXREPEAT or high >= sre_c.MAXREPEAT:
                raise _Unbounded
            total += high * _width(body)
        else:
            raise _Unbounded
    return total


def _depth(items: Any) -> int:
    """How far in the last significant item of a sequence can end (see the module
    docstring); _Unbounded when that has no bound."""
    extent: int | None = 0  # the widest the items so far can be (None: unbounded)
    depth = 0
    for op, av in items:
        if _wildcard(op, av):
            if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
                high = av[1]
                if high is sre_c.MAXREPEAT or high >= sre_c.MAXREPEAT:
                    extent = None
                    continue
                step = high * _width(av[2])
            else:
                step = 1
            extent = None if extent is None else extent + step
            continue
        if extent is None:
            raise _Unbounded
        if op is sre_c.BRANCH:
            inner = max(_depth(alt) for alt in av[1])
        elif op is sre_c.SUBPATTERN:
            inner = _depth(av[-1])
        else:
            inner = _width([(op, av)])
        depth = max(depth, extent + inner)
        extent += _width([(op, av)])
    return depth


def pattern_depth(pattern: str) -> int | None:
    """D for one full-match pattern over digit strings: whether a string matches depends
    only on its first D characters and its length. None when it cannot be bounded."""
    try:
        return _depth(sre_parse.parse(pattern))
    except _Unbounded:
        return None


def prefix_width(pattern: str) -> int | None:
    """The widest text a prefix match (`re.match`) of `pattern` can read; None if unbounded."""
    try:
        return _width(sre_parse.parse(pattern))
    except _Unbounded:
        return None


@cache
def significant_digits(country_code: int) -> int | None:
    """D for every number of calling code `country_code` (module docstring); None when
    some pattern phonenumbers may use for it cannot be bounded, or the code is unknown."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not regions:
        return None
    metadatas = []
    for region in regions:
        if region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
            metadata = PhoneMetadata.metadata_for_nongeo_region(country_code, None)
        else:
            metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
        if metadata is not None:
            metadatas.append(metadata)
    code = str(country_code)
    # the time zone table is looked up by prefixes of the E.164 digits (code included)
    widest = max(
        (len(key) for key in TIMEZONE_DATA if key.startswith(code) or code.startswith(key)),
        default=0,
    )
    depth = max(widest - len(code), 0)
    for metadata in metadatas:
        if metadata.leading_digits is not None:
            width = prefix_width(metadata.leading_digits)
            if width is None:
                return None
            depth = max(depth, width)
        for name in _DESCS:
            desc = getattr(metadata, name, None)
            pattern = None if desc is None else desc.national_number_pattern
            if not pattern:
                continue
            found = pattern_depth(pattern)
            if found is None:
                return None
            depth = max(depth, found)
    return depth


# phonenumbers' own steps for a number's zones and region, each done once (phone.py's
# `_zones_of` uses them; tests/unit/test_phone_zones_listed.py compares the answers).


def region_and_kind(number: phonenumbers.PhoneNumber) -> tuple[str | None, int]:
    """(`region_code_for_number(number)`, `number_type(number)`) with one type check
    where phonenumbers makes two: for a calling code shared by several regions (+1: the
    US, Canada, the Caribbean) it finds the region by checking the number's type against
    each region's plan, then `number_type` finds the region again and checks the type
    once more. The same steps, each done once."""
    code = number.country_code
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code) if code is not None else None
    if code is None or not regions:
        return None, PhoneNumberType.UNKNOWN
    national = phonenumbers.national_significant_number(number)
    region: str = regions[0]
    if len(regions) > 1:
        region = ""
        for candidate in regions:
            metadata = PhoneMetadata.metadata_for_region(candidate.upper(), None)
            if metadata is None:
                continue
            if metadata.leading_digits is not None:
                if re.match(metadata.leading_digits, national):
                    region = candidate
                    break
                continue
            kind = _number_type_helper(national, metadata)
            if kind != PhoneNumberType.UNKNOWN:
                return candidate, kind  # the type number_type would find with this plan
        if not region:
            return None, PhoneNumberType.UNKNOWN
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
    if metadata is None:
        return region, PhoneNumberType.UNKNOWN
    return region, _number_type_helper(national, metadata)


def listed_zones(number: phonenumbers.PhoneNumber) -> tuple[tuple[str, ...], str]:
    """(phonenumbers' `time_zones_for_number(number)`, `region_code_for_number(number)`
    or ""), the region and the type found once (`region_and_kind`): `time_zones_for_number`
    asks `number_type`, and finding the region of a +1 number is itself a full type check
    against the US plan, so phonenumbers checks it three times when we also want the
    region. `tests/unit/test_phone_zones_listed.py` compares both answers with
    phonenumbers' own on every region's example numbers."""
    region, kind = region_and_kind(number)
    code = number.country_code
    if kind == PhoneNumberType.UNKNOWN or code is None:
        listed: tuple[str, ...] = (pn_timezone.UNKNOWN_TIMEZONE,)
    elif not is_number_type_geographical(kind, code):
        listed = tuple(pn_timezone._country_level_time_zones_for_number(number))
    else:
        listed = tuple(pn_timezone.time_zones_for_geographical_number(number))
    return listed, region or ""
