"""phonenumbers' own example numbers: one per region and number type (the sweeps that
check leadtui's phone rules against phonenumbers start from them)."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType

_TYPES = [getattr(PhoneNumberType, name) for name in dir(PhoneNumberType) if name.isupper()]


def region_examples() -> list[phonenumbers.PhoneNumber]:
    """The example number of every supported region for every type it has one for."""
    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in _TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                found.append(example)
    return found
