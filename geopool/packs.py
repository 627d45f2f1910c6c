"""Jurisdiction packs: a municipality's bodies, categories and rules as data.

A pack is a folder (``packs/hatay/``) with ``pack.yaml`` (validated against
``packs/schema.json``) and CSV files it names. ``read_pack`` validates the
whole pack and reports every problem with its file and line;
``load_jurisdiction`` upserts by code and deactivates (never deletes) what the
pack no longer lists. Data files named in the pack are paths relative to
``settings.GEOPOOL_DATA_DIR``.
"""

import csv
import io
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import yaml
from django.conf import settings
from django.db import transaction

from geopool.errors import PackError

logger = logging.getLogger(__name__)

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "packs" / "schema.json"
PACK_PREFIX = "pack:"


@dataclass
class Pack:
    path: Path
    meta: dict
    bodies: list = field(default_factory=list)
    departments: list = field(default_factory=list)
    categories: list = field(default_factory=list)
    rules: list = field(default_factory=list)
    delegations: list = field(default_factory=list)
    service_levels: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def code(self):
        return self.meta["code"]

    @property
    def settings(self):
        return self.meta["settings"]

    def data_path(self, relative):
        """Resolve a data file named in the pack.

        Names are relative to ``settings.GEOPOOL_DATA_DIR``; a name starting
        with ``pack:`` is relative to the pack folder itself (for small files
        drawn for the pack, such as illustrative demo layers).
        """
        if relative.startswith(PACK_PREFIX):
            return self.path / relative.removeprefix(PACK_PREFIX)
        return Path(settings.GEOPOOL_DATA_DIR) / relative


def _schema():
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _read_csv(path, row_schema, problems):
    if not path.is_file():
        problems.append(f"{path.name}: file not found at {path}")
        return []
    rows = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(
            f"{path.name}: not UTF-8 text (byte {exc.start}); save it as UTF-8"
        )
        return []
    with io.StringIO(text, newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            validator = jsonschema.Draft202012Validator(row_schema)
            for error in validator.iter_errors(row):
                where = ".".join(str(p) for p in error.path) or "row"
                problems.append(f"{path.name} line {line}: {where}: {error.message}")
            row["_line"] = line
            rows.append(row)
    return rows


def _split_codes(text):
    return [c for c in text.replace(",", " ").split() if c]


def _check_references(pack, problems):
    """Cross-file checks: every code a row refers to must exist, once."""

    def unique(rows, name):
        seen = {}
        for row in rows:
            if row["code"] in seen:
                problems.append(
                    f"{name} line {row['_line']}: code {row['code']} repeats line "
                    f"{seen[row['code']]}"
                )
            seen.setdefault(row["code"], row["_line"])
        return set(seen)

    files = pack.meta["files"]
    bodies = unique(pack.bodies, files["bodies"])
    departments = unique(pack.departments, files["departments"])
    categories = unique(pack.categories, files["categories"])
    unique(pack.rules, files["rules"])

    department_body = {row["code"]: row["body"] for row in pack.departments}
    for row in pack.departments:
        if row["body"] not in bodies:
            problems.append(
                f"{files['departments']} line {row['_line']}: body {row['body']} "
                f"is not in {files['bodies']}"
            )
    district_codes = {}
    for row in pack.bodies:
        code = row.get("district_code")
        if row["kind"] == "district" and code:
            if code in district_codes:
                problems.append(
                    f"{files['bodies']} line {row['_line']}: district_code {code} is "
                    f"also {district_codes[code]}'s; each district has one "
                    "municipality"
                )
            district_codes.setdefault(code, row["code"])
        if row["kind"] == "district" and not row.get("district_code"):
            problems.append(
                f"{files['bodies']} line {row['_line']}: district municipality "
                f"{row['code']} needs a district_code (the official code of its "
                "district feature)"
            )

    s = pack.settings
    if s["coordinator_body"] not in bodies:
        problems.append(f"settings.coordinator_body {s['coordinator_body']} is unknown")
    if s["coordinator_department"] not in departments:
        problems.append(
            f"settings.coordinator_department {s['coordinator_department']} is unknown"
        )
    elif department_body[s["coordinator_department"]] != s["coordinator_body"]:
        problems.append(
            f"settings.coordinator_department {s['coordinator_department']} belongs "
            f"to {department_body[s['coordinator_department']]}, not to the "
            f"coordinator_body {s['coordinator_body']}"
        )
    layer_codes = set()
    for spec in pack.meta["layers"]:
        if spec["code"] in layer_codes:
            problems.append(f"pack.yaml: layer {spec['code']} is defined twice")
        layer_codes.add(spec["code"])
        unknown = set(spec.get("fields", {})) - set(spec.get("attributes", []))
        if unknown:
            problems.append(
                f"pack.yaml: layer {spec['code']}: fields maps "
                f"{', '.join(sorted(unknown))}, which are not among its attributes"
            )

    _check_rules(pack, problems)
    _check_service_levels(pack, categories, bodies, problems)

    if s["district_layer"] not in layer_codes:
        problems.append(
            f"settings.district_layer {s['district_layer']} is not among the pack's "
            f"layers ({', '.join(sorted(layer_codes)) or 'none'})"
        )
    samples = pack.meta.get("samples", {})
    wanted = list(samples.get("categories", []))
    for spec in samples.get("points", []):
        wanted += spec.get("categories", [])
        if spec["format"] == "layer" and spec["source"] not in layer_codes:
            problems.append(f"samples: layer {spec['source']} is not a pack layer")
    for code in wanted:
        if code not in categories:
            problems.append(f"samples: unknown category {code}")
    for team in samples.get("demo_teams", []):
        if team["body"] not in bodies:
            problems.append(f"samples.demo_teams: unknown body {team['body']}")


def _check_service_levels(pack, categories, bodies, problems):
    """SLA rows name known categories once; the calendar's bodies exist."""
    name = pack.meta["files"].get("service_levels", "service_levels")
    seen = {}
    for row in pack.service_levels:
        code = row["category"]
        if code != "*" and code not in categories:
            problems.append(f"{name} line {row['_line']}: unknown category {code}")
        if code in seen:
            problems.append(
                f"{name} line {row['_line']}: category {code} repeats line {seen[code]}"
            )
        seen.setdefault(code, row["_line"])
    hours = pack.settings.get("calendar", {}).get("working_hours", {})
    for code in hours.get("bodies", {}):
        if code not in bodies:
            problems.append(
                f"settings.calendar.working_hours.bodies: unknown body {code}"
            )
    from geopool.worktime import WorkingHours

    for where, text in [("default", hours.get("default"))] + list(
        hours.get("bodies", {}).items()
    ):
        if text:
            try:
                WorkingHours.parse(text)
            except ValueError as exc:
                problems.append(f"settings.calendar.working_hours.{where}: {exc}")


def _check_rules(pack, problems):
    """Rules and delegations, checked as the rule editor checks them."""
    from routing_rules.services.rule_sets import pack_rule_specs
    from routing_rules.validation import catalogue_from_pack, validate

    rules, delegations, row_problems = pack_rule_specs(pack)
    problems.extend(row_problems)
    if row_problems:
        return
    lines = {spec.code: row["_line"] for spec, row in rules}
    files = pack.meta["files"]
    errors, warnings = validate(
        [spec for spec, _ in rules],
        [spec for spec, _ in delegations],
        catalogue_from_pack(pack),
    )

    def located(message):
        for code, line in lines.items():
            if message.startswith(f"rule {code}:") or message.startswith(
                f"rule {code} "
            ):
                return f"{files['rules']} line {line}: {message}"
        return f"{files['rules']}: {message}"

    problems.extend(located(e) for e in errors)
    pack.warnings.extend(located(w) for w in warnings)


def read_pack(path):
    """Read and validate the pack in folder ``path``; raise PackError if invalid."""
    path = Path(path)
    manifest = path / "pack.yaml"
    if not manifest.is_file():
        raise PackError([f"no pack.yaml in {path} (expected a pack folder)"])
    try:
        meta = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise PackError(
            [f"pack.yaml: not UTF-8 text (byte {exc.start}); save it as UTF-8"]
        ) from exc
    except yaml.YAMLError as exc:
        raise PackError([f"pack.yaml is not valid YAML: {exc}"]) from exc

    schema = _schema()
    validator = jsonschema.Draft202012Validator(schema)
    problems = [
        f"pack.yaml: {'.'.join(str(p) for p in e.path) or '(top)'}: {e.message}"
        for e in validator.iter_errors(meta)
    ]
    if problems:
        raise PackError(problems)

    pack = Pack(path=path, meta=meta)
    defs = schema["$defs"]
    files = meta["files"]
    pack.bodies = _read_csv(path / files["bodies"], defs["body"], problems)
    pack.departments = _read_csv(
        path / files["departments"], defs["department"], problems
    )
    pack.categories = _read_csv(path / files["categories"], defs["category"], problems)
    pack.rules = _read_csv(path / files["rules"], defs["rule"], problems)
    if files.get("delegations"):
        pack.delegations = _read_csv(
            path / files["delegations"], defs["delegation"], problems
        )
    if files.get("service_levels"):
        pack.service_levels = _read_csv(
            path / files["service_levels"], defs["service_level"], problems
        )
    if not problems:
        _check_references(pack, problems)
    if problems:
        raise PackError(problems)
    return pack


def load_jurisdiction(pack, dry_run=False):
    """Upsert the pack's bodies, departments, categories and rule set.

    Returns a summary ``{kind: {"created": n, "updated": n, "deactivated":
    n}}``. With ``dry_run`` everything is rolled back after counting.
    """
    from geopool.services.pack_loading import apply_pack

    with transaction.atomic():
        summary = apply_pack(pack)
        if dry_run:
            transaction.set_rollback(True)
    logger.info(
        "pack %s %s: %s", pack.code, "checked" if dry_run else "loaded", summary
    )
    return summary
