"""A citizen's contact details as geopool checks them at intake: phone, T.C. no.

One set of checks for every channel: the operator console, the public web
form and the Open311 API store a phone number only through ``phone_clean``
(and the console a T.C. kimlik no through ``tc_kimlik_clean``). Both return
the value in the one form geopool stores, or raise ``ValidationError`` with
a message that says what is wrong and what is expected.

A T.C. kimlik no has 11 digits, the first never 0; the 10th and 11th are
check digits: ``d10 = (7 × (d1 + d3 + d5 + d7 + d9) − (d2 + d4 + d6 + d8))
mod 10`` and ``d11 = (d1 + … + d10) mod 10``. A misheard digit almost always
breaks one of them.

>>> tc_kimlik_clean("100 000 001 46")
'10000000146'

A Turkish phone number is stored as 11 digits starting with 0
(``05321234517``); ``+90``, spaces, dashes and brackets are accepted.

>>> phone_clean("+90 (532) 123-45-17"), phone_clean("532 123 45 17")
('05321234517', '05321234517')
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

TC_NOT_DIGITS = _("A T.C. kimlik no has digits only; remove the other characters.")
TC_LENGTH = _("A T.C. kimlik no has 11 digits; %(count)s were typed.")
TC_LEADING_ZERO = _("A T.C. kimlik no never starts with 0.")
TC_CHECKSUM = _(
    "This is not a valid T.C. kimlik no: its check digits (the last two) do "
    "not match the first nine. Read the number back to the caller."
)
PHONE_CHARACTERS = _(
    "A phone number has digits, spaces, +, - and brackets only; remove the "
    "other characters."
)
PHONE_LENGTH = _(
    "A Turkish phone number has 11 digits starting with 0, e.g. 0532 123 45 17 "
    "or 0326 214 00 00; %(count)s digits were typed."
)
PHONE_PREFIX = _(
    "No Turkish phone number starts with 0%(digit)s; area and mobile codes "
    "start with 02, 03, 04, 05 or 08."
)

# By ValidationError code: the console's script (contact_checks.js) applies
# the same rules as typed and shows these messages.
CONTACT_ERRORS = {
    "tc_characters": TC_NOT_DIGITS,
    "tc_length": TC_LENGTH,
    "tc_leading_zero": TC_LEADING_ZERO,
    "tc_checksum": TC_CHECKSUM,
    "phone_characters": PHONE_CHARACTERS,
    "phone_length": PHONE_LENGTH,
    "phone_prefix": PHONE_PREFIX,
}

_TC_ALLOWED = re.compile(r"^[0-9 ]+$")
_PHONE_ALLOWED = re.compile(r"^[0-9 +\-().]+$")
# 02–04: landlines by area; 05: mobiles; 08: 0850 and other national numbers.
_PHONE_FIRST_DIGITS = "23458"


def tc_kimlik_valid(number):
    """Return True when ``number`` (11 digits) passes both check digits.

    >>> tc_kimlik_valid("10000000146"), tc_kimlik_valid("10000000147")
    (True, False)
    """
    if len(number) != 11 or not number.isdigit() or number[0] == "0":
        return False
    digits = [int(d) for d in number]
    tenth = (7 * sum(digits[0:9:2]) - sum(digits[1:8:2])) % 10
    eleventh = sum(digits[:10]) % 10
    return digits[9] == tenth and digits[10] == eleventh


def tc_kimlik_clean(value):
    """Return the 11 digits of a T.C. kimlik no, or raise ValidationError."""
    text = (value or "").strip()
    if not _TC_ALLOWED.match(text):
        raise ValidationError(TC_NOT_DIGITS, code="tc_characters")
    number = text.replace(" ", "")
    if len(number) != 11:
        raise ValidationError(
            TC_LENGTH, code="tc_length", params={"count": len(number)}
        )
    if number[0] == "0":
        raise ValidationError(TC_LEADING_ZERO, code="tc_leading_zero")
    if not tc_kimlik_valid(number):
        raise ValidationError(TC_CHECKSUM, code="tc_checksum")
    return number


def phone_clean(value):
    """Return a Turkish phone number as ``0XXXXXXXXXX``, or raise ValidationError."""
    text = (value or "").strip()
    if not _PHONE_ALLOWED.match(text):
        raise ValidationError(PHONE_CHARACTERS, code="phone_characters")
    digits = re.sub(r"\D", "", text)
    # +90 is the country code; so is a leading 90 on a number two digits long.
    if digits.startswith("90") and (text.startswith("+") or len(digits) == 12):
        national = "0" + digits[2:]
    elif not digits.startswith("0"):
        national = "0" + digits
    else:
        national = digits
    if len(national) != 11:
        raise ValidationError(
            PHONE_LENGTH, code="phone_length", params={"count": len(digits)}
        )
    if national[1] not in _PHONE_FIRST_DIGITS:
        raise ValidationError(
            PHONE_PREFIX, code="phone_prefix", params={"digit": national[1]}
        )
    return national
