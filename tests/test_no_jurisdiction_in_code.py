"""Everything specific to a jurisdiction is pack data, never code.

No category, body or department code of the Hatay pack appears as a string
literal in the application packages (docstrings and comments may mention
them as examples; exact literals may not).
"""

import ast
import csv
from pathlib import Path

from django.conf import settings

BASE = Path(settings.BASE_DIR)
APPS = ["geopool", "boundaries", "routing_rules", "geocoding"]


def _pack_codes():
    pack = BASE / "packs" / "hatay"
    codes = set()
    for name in ("categories.csv", "bodies.csv", "departments.csv"):
        with (pack / name).open(encoding="utf-8") as handle:
            codes |= {row["code"] for row in csv.DictReader(handle)}
    return codes


def _literals(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node.lineno, node.value


def test_no_pack_code_is_a_string_literal_in_app_code():
    codes = _pack_codes()
    assert {"COP", "SU", "HATSU", "HBB", "HBB-HALKLA"} <= codes
    found = [
        f"{path.relative_to(BASE)}:{line}: {value!r}"
        for app in APPS
        for path in sorted((BASE / app).rglob("*.py"))
        if "migrations" not in path.parts
        for line, value in _literals(path)
        if value in codes
    ]
    assert found == []
