"""phone._listed_zones finds a number's region once and must give exactly phonenumbers'
own `time_zones_for_number` and `region_code_for_number` (it repeats their steps)."""

from __future__ import annotations

import phonenumbers
import pytest
from phone_examples import region_examples
from phonenumbers import PhoneNumberType
from phonenumbers import timezone as pn_timezone

from leadtui.domain import phone


def _samples() -> list[phonenumbers.PhoneNumber]:
    found = []
    for example in region_examples():
        found.append(example)
        # a neighbour of the example: another range, maybe another type or none
        national = example.national_number
        for delta in (1, 10**3 + 7, -(10**4) - 3):
            if national + delta > 0:
                found.append(
                    phonenumbers.PhoneNumber(
                        country_code=example.country_code, national_number=national + delta
                    )
                )
    for text in ("+1 212 555 0100", "+1 800 555 0100", "+1 907 555 0100", "+1 264 555 0100",
                 "+353 1 555 0123", "+44 7700 900472", "+7 912 345 67 89", "+61 412 345 678",
                 "+1 999 555 0100", "+800 1234 5678", "+882 1234 5678"):  # fmt: skip
        found.append(phonenumbers.parse(text, None))
    for code in (999, 0):  # no such country code: no region, no metadata
        found.append(phonenumbers.PhoneNumber(country_code=code, national_number=2125550100))
    return found


SAMPLES = _samples()


def test_the_samples_cover_every_kind_of_answer() -> None:
    kinds = {phonenumbers.number_type(number) for number in SAMPLES}
    assert PhoneNumberType.UNKNOWN in kinds and PhoneNumberType.MOBILE in kinds
    assert PhoneNumberType.TOLL_FREE in kinds and PhoneNumberType.FIXED_LINE in kinds
    assert len(SAMPLES) > 2000


@pytest.mark.parametrize("chunk", range(8))
def test_listed_zones_is_phonenumbers_own_answer(chunk: int) -> None:
    for number in SAMPLES[chunk::8]:
        listed, region = phone._listed_zones(number)
        assert listed == tuple(pn_timezone.time_zones_for_number(number)), number
        assert region == (phonenumbers.region_code_for_number(number) or ""), number
