"""An import report as the pages show it: checks, repairs, impact.

The dry run's ``ImportReport.as_stored()`` and a stored generation's
``report`` have the same shape; ``report_display`` turns either into rows
for the templates: problems sorted errors first with a Turkish severity,
areas and counts in Turkish number format.
"""

from django.utils.translation import gettext_lazy as _

from geopool.web.l10n import count_text

SEVERITIES = {
    "error": (_("Error"), "table-danger"),
    "warning": (_("Warning"), "table-warning"),
    "info": (_("Information"), ""),
}
ORDER = {"error": 0, "warning": 1, "info": 2}


def report_display(report):
    """Return the template context of a stored import ``report`` (a dict)."""
    checks = sorted(report.get("checks", []), key=lambda p: ORDER.get(p["severity"], 3))
    counts = {s: sum(p["severity"] == s for p in checks) for s in SEVERITIES}
    impact = report.get("impact") or {}
    return {
        "checks": [_problem_row(p) for p in checks],
        "errors": counts["error"],
        "warnings_count": counts["warning"],
        "infos": counts["info"],
        "repaired": report.get("repaired", []),
        "repaired_count": report.get("repaired_count", 0),
        "skipped": report.get("skipped", []),
        "skipped_count": report.get("skipped_count", 0),
        "warnings": report.get("warnings", []),
        "impact": {
            "total": impact.get("total", 0),
            "owner_changes": impact.get("owner_changes", 0),
            "matrix": impact.get("matrix", []),
            "owner_matrix": impact.get("owner_matrix", []),
            "moves": impact.get("moves", []),
        },
        "has_impact": "total" in impact,
    }


def _problem_row(problem):
    label, css = SEVERITIES.get(problem["severity"], (problem["severity"], ""))
    lon, lat = problem.get("lon"), problem.get("lat")
    area = problem.get("area_m2")
    return {
        "severity": problem["severity"],
        "label": label,
        "css": css,
        "kind": problem["kind"],
        "message": problem["message"],
        "features": ", ".join(str(f) for f in problem.get("features") or []),
        "area": f"{count_text(round(area))} m²" if area is not None else "",
        "place": f"{lat:.5f}, {lon:.5f}" if lon is not None and lat is not None else "",
    }
