import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.inspections.credit import ALPHABET, make_credit_code, normalise_credit_code

REAL = ["91110000802100433B", "91350100M000100Y43", "91440300708461136T"]


@pytest.mark.parametrize("value", REAL)
def test_published_codes_pass(value):
    assert normalise_credit_code(value.lower()) == value


def test_wrong_check_character_says_which_it_should_be():
    with pytest.raises(ValidationError) as caught:
        normalise_credit_code("91110000802100433C")
    assert "第18位应为“B”" in caught.value.messages[0]


@pytest.mark.parametrize(
    "value, words",
    [
        ("9111000080210043", "应为18位"),
        ("91110000802100433I", "不允许的字符"),
        ("91AB0000802100433B", "行政区划码"),
    ],
)
def test_malformed_codes_are_refused_with_the_reason(value, words):
    with pytest.raises(ValidationError) as caught:
        normalise_credit_code(value)
    assert words in caught.value.messages[0]


@given(
    body=st.text(alphabet=ALPHABET, min_size=2, max_size=2),
    division=st.text(alphabet="0123456789", min_size=6, max_size=6),
    rest=st.text(alphabet=ALPHABET, min_size=9, max_size=9),
    position=st.integers(0, 16),
    other=st.sampled_from(ALPHABET),
)
def test_any_single_change_is_caught(body, division, rest, position, other):
    valid = make_credit_code(body + division + rest)
    assert normalise_credit_code(valid) == valid
    changed = valid[:position] + other + valid[position + 1 :]
    if changed != valid and changed[2:8].isdigit():
        # Weights 3^i mod 31 are all non-zero and 31 is prime: one changed
        # character always changes the check character.
        with pytest.raises(ValidationError):
            normalise_credit_code(changed)
