"""The zone cache by prefix (phone_prefix.py, phone._zones_and_region) answers exactly
what phonenumbers would: the rule checked by brute force on small patterns, and the
cache's answers compared with phonenumbers' own on numbers of every calling code."""

from __future__ import annotations

import itertools
import random
import re

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phone_examples import region_examples
from phonenumbers import timezone as pn_timezone

from leadtui.domain import phone
from leadtui.domain.phone_prefix import pattern_depth, prefix_width, significant_digits

PATTERNS = [
    r"(?:2(?:0[1-35-9]|1[02-9])|3(?:0[1-47-9]))[2-9]\d{3}",
    r"(?:\d{2}5|\d)\d{3}",
    r"52(?:3(?:[2-4][02-9]\d|5(?:[02]\d|5[0-4]))|4[2-9])\d{2}",
    r"[2-9]\d{4}|3\d{2}",
    r"1\d*",
    r"(?:1[0-5]|[2-9]\d?)\d{2,3}",
    r"7(?:[01]\d|2[0-4])\d{2}|8\d{0,2}9",
    r"[0-9].[1-3]\d",
    r"(?:12|3)(?:\d{2}|4)5?\d",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_rule_holds_for_every_digit_string(pattern: str) -> None:
    """Every string of up to 6 digits: strings of one length that agree on their first D
    digits all match or all fail."""
    depth = pattern_depth(pattern)
    assert depth is not None
    compiled = re.compile(pattern)
    for length in range(7):
        seen: dict[str, bool] = {}
        for digits in itertools.product("0123456789", repeat=length):
            text = "".join(digits)
            matched = compiled.fullmatch(text) is not None
            assert seen.setdefault(text[:depth], matched) == matched, (pattern, text, depth)


def test_unbounded_or_unknown_constructs_give_none() -> None:
    assert pattern_depth(r"\d*1") is None  # a significant digit after an unbounded run
    assert pattern_depth(r"12|3\d+4") is None
    assert pattern_depth(r"1(?=2)\d") is None  # a look-ahead
    assert pattern_depth(r"^1\d") is None  # an anchor
    assert pattern_depth(r"1\d*") == 1 and pattern_depth(r"[2-9]\d{6}") == 1
    assert pattern_depth(r"[0-9]\d[^5]") == 3  # a negated class is significant
    assert prefix_width(r"1[2-4]|56") == 2 and prefix_width(r"1\d+") is None


def test_every_calling_code_is_bounded_and_nanp_needs_seven_digits() -> None:
    codes = list(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    assert all(significant_digits(code) is not None for code in codes)
    assert significant_digits(1) == 7  # area code + exchange + one more digit
    assert significant_digits(999) is None  # no such code


def _examples() -> list[phonenumbers.PhoneNumber]:
    found = region_examples()
    for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is not None:
            found.append(example)
    return found


def _sibling(number: phonenumbers.PhoneNumber, rng: random.Random, keep: int) -> str:
    """The E.164 form of a number of the same code and length that agrees with `number`
    on its first `keep` national digits; the rest random."""
    national = phonenumbers.national_significant_number(number)
    rest = "".join(rng.choice("0123456789") for _ in national[keep:])
    return f"+{number.country_code}{national[:keep]}{rest}"


def _phonenumbers_answer(e164: str) -> tuple[tuple[str, ...], str]:
    number = phonenumbers.parse(e164, None)
    return (
        tuple(pn_timezone.time_zones_for_number(number)),
        phonenumbers.region_code_for_number(number) or "",
    )


def _uncached(e164: str) -> tuple[tuple[str, ...], bool, str]:
    return phone._zones_of(phonenumbers.parse(e164, None))


def _cached(e164: str) -> tuple[tuple[str, ...], bool, str]:
    phone._zones_and_region.cache_clear()  # only the prefix cache may answer
    phone._JUST_PARSED.clear()
    return phone._zones_and_region(e164)


EXAMPLES = _examples()


def test_the_sweep_covers_many_countries_and_kinds() -> None:
    assert len(EXAMPLES) > 1300
    assert len({n.country_code for n in EXAMPLES}) > 200


@pytest.mark.parametrize("chunk", range(6))
def test_siblings_get_phonenumbers_answer_and_the_cached_one(chunk: int) -> None:
    """Numbers that agree on their first significant digits (and length): phonenumbers
    gives them the same zones and region, and the cache (filled by the first of them)
    gives each what the uncached code gives it."""
    rng = random.Random(1200 + chunk)
    phone._BY_PREFIX.clear()
    hits = 0
    for number in EXAMPLES[chunk::6]:
        depth = significant_digits(number.country_code)
        assert depth is not None
        first = f"+{number.country_code}{phonenumbers.national_significant_number(number)}"
        expected = _phonenumbers_answer(first)
        _cached(first)  # fills the cache for this prefix
        for _ in range(4):
            other = _sibling(number, rng, depth)
            try:
                answer = _phonenumbers_answer(other)
            except phonenumbers.NumberParseException:
                continue
            assert answer == expected, (first, other)
            assert _cached(other) == _uncached(other), (first, other)
            hits += 1
    assert hits > 800


@settings(max_examples=400, deadline=None)
@given(
    code=st.sampled_from(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)),
    digits=st.text("0123456789", min_size=4, max_size=14),
)
def test_any_number_cached_equals_uncached(code: int, digits: str) -> None:
    e164 = f"+{code}{digits}"
    try:
        phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return
    warm = phone._zones_and_region(e164)  # may come from the cache of an earlier number
    assert warm == _uncached(e164)
    assert _cached(e164) == _uncached(e164)


def test_zone_for_phone_unchanged_across_a_shared_prefix() -> None:
    phone._BY_PREFIX.clear()
    for e164 in ("+12125550100", "+12125550199", "+19075550100", "+18005550100",
                 "+442079460000", "+447700900472", "+61412345678", "+79123456789"):  # fmt: skip
        cached = phone.zone_for_phone(e164, "America/New_York")
        phone._zones_and_region.cache_clear()
        phone._BY_PREFIX.clear()
        assert cached == phone.zone_for_phone(e164, "America/New_York")
