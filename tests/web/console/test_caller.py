"""The caller's T.C. kimlik no and phone number, checked as the operator types."""

import doctest

import pytest
from django.core.exceptions import ValidationError

from geopool import contact_checks as caller
from geopool.contact_checks import phone_clean, tc_kimlik_clean, tc_kimlik_valid


def test_docstring_examples():
    result = doctest.testmod(caller)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("10000000146", True),
        ("12345678950", True),
        ("10000000147", False),  # last digit off by one
        ("10000000156", False),  # tenth digit off by one
        ("12345678905", False),  # two digits swapped
        ("00000000000", False),  # starts with 0
        ("1000000014", False),  # ten digits
    ],
)
def test_tc_kimlik_check_digits(number, valid):
    assert tc_kimlik_valid(number) is valid


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("10000000147", "tc_checksum"),
        ("123", "tc_length"),
        ("01234567890", "tc_leading_zero"),
        ("1000-000-0146", "tc_characters"),
    ],
)
def test_tc_kimlik_refusals_say_which_rule(value, code):
    with pytest.raises(ValidationError) as refused:
        tc_kimlik_clean(value)
    assert refused.value.code == code


def test_tc_kimlik_with_spaces_is_stored_as_digits():
    assert tc_kimlik_clean(" 123 456 789 50 ") == "12345678950"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0532 123 45", "phone_length"),
        ("+90 532 123 45 17 8", "phone_length"),
        ("0132 123 45 17", "phone_prefix"),
        ("0532/123/45/17", "phone_characters"),
    ],
)
def test_phone_refusals_say_which_rule(value, code):
    with pytest.raises(ValidationError) as refused:
        phone_clean(value)
    assert refused.value.code == code


@pytest.mark.parametrize(
    "value",
    [
        "05321234517",
        "0532 123 45 17",
        "+905321234517",
        "90 532 123 45 17",
        "532.123.45.17",
    ],
)
def test_phone_forms_of_one_number(value):
    assert phone_clean(value) == "05321234517"
