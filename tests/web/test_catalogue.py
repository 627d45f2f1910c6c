"""The Turkish catalogue translates every string the staff pages use.

Strings are collected the way ``makemessages`` would for these files:
``{% translate "..." %}`` and ``{% blocktranslate %}`` in the templates,
``_("...")`` in ``geopool/web``. A missing or empty Turkish entry fails.
"""

import ast
import re
from pathlib import Path

from django.conf import settings

BASE = Path(settings.BASE_DIR)
CATALOGUE = BASE / "locale" / "tr" / "LC_MESSAGES" / "django.po"
TRANSLATE = re.compile(r'{% translate "(?P<text>[^"]+)" %}')
BLOCK = re.compile(r"{% blocktranslate %}(?P<text>.*?){% endblocktranslate %}", re.S)
VARIABLE = re.compile(r"{{ (\w+) }}")
ENTRY = re.compile(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', re.M)


def _joined(lines):
    return "".join(ast.literal_eval(line) for line in lines.splitlines())


def _catalogue():
    text = CATALOGUE.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    return {_joined(m[1]): _joined(m[2]) for m in ENTRY.finditer(text) if _joined(m[1])}


def _template_strings():
    for path in (BASE / "templates").rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        yield from (m["text"] for m in TRANSLATE.finditer(source))
        for m in BLOCK.finditer(source):
            yield VARIABLE.sub(r"%(\1)s", m["text"])


def _python_strings():
    for path in (BASE / "geopool" / "web").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "_"
                and isinstance(node.args[0], ast.Constant)
            ):
                yield node.args[0].value


def test_every_staff_page_string_has_a_turkish_translation():
    catalogue = _catalogue()
    used = set(_template_strings()) | set(_python_strings())

    assert {"Map", "Log out", "Districts compared"} <= used
    assert sorted(text for text in used if not catalogue.get(text)) == []
