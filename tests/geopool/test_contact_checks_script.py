"""The console's script checks phone and T.C. kimlik no as the server does.

``geopool/static/geopool/contact_checks.js`` runs under Node on the same
inputs as ``geopool.contact_checks``; both must answer the same error code
and parameters (or none), so a number the page lets pass as typed is one
the server stores, and the message the page shows is the server's.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from geopool.contact_checks import CONTACT_ERRORS, phone_clean, tc_kimlik_clean

SCRIPT = (
    Path(settings.BASE_DIR) / "geopool" / "static" / "geopool" / "contact_checks.js"
)

PHONES = [
    "0532 123 45 17",  # mobile, spaced
    "+90 (532) 123-45-17",  # country code and brackets
    "532 123 45 17",  # no leading 0
    "905321234517",  # 90 without the +
    "0850 222 01 53",  # national number
    "0532 123 45 1",  # one digit short
    "0532 123 45 178",  # one digit too many
    "0732 123 45 17",  # no such prefix
    "0532 123 45 17 dahili 5",  # letters
    "+1 555 123 4567",  # another country's 11 digits
    "  0326 214 00 00  ",  # surrounding spaces
]
TC_NUMBERS = [
    "10000000146",  # valid
    "100 000 001 46",  # valid, spaced
    "10000000147",  # wrong check digit
    "01234567890",  # leading zero
    "1000000014",  # 10 digits
    "1000000014a",  # a letter
    "12345678950",  # valid
    "12345678951",  # eleventh digit wrong
]


def _server(clean, value):
    try:
        clean(value)
    except ValidationError as exc:
        return {"code": exc.code, "params": exc.params or {}}
    return None


def _script(function, values):
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "Node.js is needed (scripts/setup installs it)"
    program = (
        f"const checks = require({json.dumps(str(SCRIPT))});"
        f"const values = {json.dumps(values)};"
        f"console.log(JSON.stringify(values.map(v => checks.{function}(v))));"
    )
    done = subprocess.run(
        [node, "-e", program], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("function", "clean", "values"),
    [
        ("phoneError", phone_clean, PHONES),
        ("tcKimlikError", tc_kimlik_clean, TC_NUMBERS),
    ],
)
def test_script_answers_the_servers_error_for_every_input(function, clean, values):
    expected = [_server(clean, value) for value in values]

    assert _script(function, values) == expected
    assert {e["code"] for e in expected if e} <= set(CONTACT_ERRORS)
