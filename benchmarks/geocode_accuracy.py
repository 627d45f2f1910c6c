"""Accuracy of the offline geocoder on real address text written by officials.

Input: the ``address`` text alone of every AFAD assembly area of the
province (``--province``, default HATAY) with a non-empty address, from
``hatay/hatay_afad_assembly_areas.csv`` under GEOPOOL_DATA_DIR. The file's
own ``district``/``mahalle`` labels and coordinates are the answer key; they
never reach the geocoder, and the gazetteer is built from the pack's files
(neighbourhood list, streets, OSM polygons and points), never from this file.

Denominators (issue 7):

- district: addresses that name a district (a district's name as whole words
  in the text, or within a rapidfuzz ratio of 85 of one, for typing slips
  such as ``ANYAKYA``), or that name their labelled neighbourhood whose name
  is unique in the province;
- neighbourhood: addresses that name their labelled neighbourhood (its name
  as whole words, spaces ignored, or within a ratio of 85 of a word run).

These tests read the text independently of the geocoder. The labels
disagree with the text on some rows (``Hatay, Samandağ, Mızraklı Mh.``
labelled Yayladağı / Sebenoba): such rows are kept in the figures "against
the label" and also reported apart.

Also: median distance from the known point (located results; and results
placed without a pin), share flagged for a pin, wrong answers at or above
the pack's confidence threshold (target 0), queries per second (best of
``--passes`` passes over all rows, gazetteer warm).

Targets: district >= 99 %, neighbourhood >= 90 %, 0 confident wrong answers.

Run from the repository root, with the pack, layers and gazetteer loaded
(``manage.py load_jurisdiction``, ``load_pack_layers --commit``,
``load_gazetteer``; ``--load`` runs them)::

    .venv/bin/python benchmarks/geocode_accuracy.py
"""

import argparse
import csv
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geopool.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from rapidfuzz import fuzz  # noqa: E402

from pyproj import Geod  # noqa: E402

from geocoding.match import Gazetteer, geocode  # noqa: E402
from geocoding.models import Neighbourhood  # noqa: E402
from geopool.text import fold, name_key  # noqa: E402

TARGET_DISTRICT = 0.99
TARGET_NEIGHBOURHOOD = 0.90
NAME_RATIO = 85
GEOD = Geod(ellps="WGS84")


def log(message):
    print(f"[geocode_accuracy] {message}", file=sys.stderr, flush=True)


def _names_in(text_key, name):
    """Whether ``name`` (a key) appears in ``text_key`` as words or nearly."""
    words = text_key.split()
    target = name.replace(" ", "")
    size = len(name.split())
    for n in {size, size + 1, max(1, size - 1)}:
        for i in range(len(words) - n + 1):
            run = "".join(words[i : i + n])
            if run == target or (len(target) >= 5 and fuzz.ratio(run, target) >= 85):
                return True
    return False


def _git(*args):
    try:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--province", default="HATAY")
    parser.add_argument("--pack", default="packs/hatay")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--load", action="store_true", help="load pack and gazetteer")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args()

    load_start = os.getloadavg()[0]
    if args.load or not Neighbourhood.objects.exists():
        log("loading the pack, its layers and the gazetteer")
        call_command("load_jurisdiction", args.pack, verbosity=0)
        call_command("load_pack_layers", args.pack, commit=True, verbosity=0)
        call_command("load_gazetteer", args.pack, verbosity=0)

    path = Path(settings.GEOPOOL_DATA_DIR) / "hatay" / "hatay_afad_assembly_areas.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = [
            r
            for r in csv.DictReader(handle)
            if r["province"] == args.province and r["address"].strip()
        ]
    log(f"{len(rows)} addresses from {path.name}")

    gaz = Gazetteer.from_database()
    districts = {fold(d.name): d for d in gaz.districts}
    by_name = {}
    for nb in gaz.neighbourhoods:
        by_name.setdefault(nb.key, []).append(nb)
    threshold = gaz.threshold

    cases, unknown_labels = [], 0
    for row in rows:
        district = districts.get(fold(row["district"]))
        label_key = name_key(row["mahalle"])
        nb = None
        if district is not None:
            pool = gaz.by_district.get(district.code, [])
            nb = next((p for p in pool if p.key == label_key), None) or next(
                (p for p in pool if p.compact == label_key.replace(" ", "")), None
            )
        if nb is None:
            unknown_labels += 1
        text = name_key(row["address"])
        names_district = any(_names_in(text, d.key) for d in gaz.districts)
        names_nb = nb is not None and _names_in(text, nb.key)
        unique_nb = nb is not None and len(by_name.get(nb.key, [])) == 1
        other_district = [
            d.name
            for d in gaz.districts
            if district is not None
            and d.code != district.code
            and _names_in(text, d.key)
        ]
        cases.append(
            {
                "row": row,
                "district": district,
                "nb": nb,
                "in_district_denominator": names_district or (names_nb and unique_nb),
                "in_nb_denominator": names_nb,
                "text_names_other_district": other_district,
            }
        )

    # Speed: all rows, best of N passes, warm.
    geocode(rows[0]["address"], gaz)
    times = []
    for _ in range(args.passes):
        start = time.perf_counter()
        results = [geocode(r["address"], gaz) for r in rows]
        times.append(time.perf_counter() - start)
    qps = len(rows) / min(times)

    district_ok = district_n = nb_ok = nb_n = 0
    district_ok_clean = district_n_clean = 0
    confident_wrong, confident_wrong_named, confident, pins = [], [], 0, 0
    from geocoding.models import PRECISE

    placed_by_intake = 0
    distances, placed_distances, failures = [], [], []
    levels = {}
    for case, result in zip(cases, results, strict=True):
        row = case["row"]
        levels[result.level] = levels.get(result.level, 0) + 1
        pins += result.needs_pin
        # An Open311 post is placed only at a door or a street line.
        placed_by_intake += (not result.needs_pin) and (
            result.location_source in PRECISE
        )
        got_district = (result.district or {}).get("code")
        got_nb = (result.neighbourhood or {}).get("code")
        want_district = case["district"].code if case["district"] else None
        want_nb = case["nb"].code if case["nb"] else None
        if case["in_district_denominator"]:
            district_n += 1
            district_ok += got_district == want_district
            if not case["text_names_other_district"]:
                district_n_clean += 1
                district_ok_clean += got_district == want_district
        if case["in_nb_denominator"]:
            nb_n += 1
            nb_ok += got_nb == want_nb
            if got_nb != want_nb:
                failures.append((row, result))
        if result.lon is not None:
            _, _, metres = GEOD.inv(
                float(row["lon"]), float(row["lat"]), result.lon, result.lat
            )
            distances.append(metres)
            if not result.needs_pin:
                placed_distances.append(metres)
        if result.confidence >= threshold:
            confident += 1
            wrong = got_district != want_district or (
                got_nb is not None and got_nb != want_nb
            )
            if wrong:
                confident_wrong.append((row, result))
                named = case["in_nb_denominator"] or (
                    case["in_district_denominator"] and got_district != want_district
                )
                if named and not case["text_names_other_district"]:
                    confident_wrong_named.append((row, result))

    def share(ok, n):
        return ok / n if n else 0.0

    figures = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, {platform.platform()}",
        "python": platform.python_version(),
        "code": f"{_git('rev-parse', '--abbrev-ref', 'HEAD')} at "
        f"{_git('rev-parse', '--short', 'HEAD')}"
        + (", uncommitted changes" if _git("status", "--porcelain") else ", clean"),
        "load_average": [load_start, os.getloadavg()[0]],
        "input": f"{path.name}: {len(rows)} {args.province} rows with an address",
        "labels_not_in_gazetteer": unknown_labels,
        "confidence_threshold": threshold,
        "gazetteer_location_sources": _sources(gaz),
        "district": {"ok": district_ok, "n": district_n},
        "district_excluding_text_naming_another": {
            "ok": district_ok_clean,
            "n": district_n_clean,
        },
        "neighbourhood": {"ok": nb_ok, "n": nb_n},
        "levels": levels,
        "flagged_for_pin": {"n": pins, "of": len(rows)},
        "placed_by_open311": {"n": placed_by_intake, "of": len(rows)},
        "confident": confident,
        "confident_wrong": len(confident_wrong),
        "confident_wrong_where_text_names_the_label": len(confident_wrong_named),
        "median_distance_m": statistics.median(distances) if distances else None,
        "located": len(distances),
        "median_distance_placed_m": (
            statistics.median(placed_distances) if placed_distances else None
        ),
        "placed": len(placed_distances),
        "queries_per_second": qps,
        "pass_seconds": times,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "geocode_accuracy.json").write_text(
        json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    md = _markdown(figures, share, failures, confident_wrong, cases, results)
    (out / "geocode_accuracy.md").write_text(md, encoding="utf-8")
    print(md)


def _sources(gaz):
    counts = {}
    for nb in gaz.neighbourhoods:
        counts[nb.location_source] = counts.get(nb.location_source, 0) + 1
    return counts


def _mark(ok):
    return "✓" if ok else "✗"


def _markdown(f, share, failures, confident_wrong, cases, results):
    d, dc, n = (
        f["district"],
        f["district_excluding_text_naming_another"],
        f["neighbourhood"],
    )
    ds, dcs, ns = (
        share(d["ok"], d["n"]),
        share(dc["ok"], dc["n"]),
        share(n["ok"], n["n"]),
    )
    pin = share(f["flagged_for_pin"]["n"], f["flagged_for_pin"]["of"])
    lines = [
        "# Geocoding accuracy on AFAD assembly-area addresses",
        "",
        "Generated by `benchmarks/geocode_accuracy.py`; the input is each row's "
        "`address` text alone, the answer key its own labels and point.",
        "",
        f"- date: {f['date']}",
        f"- machine: {f['machine']}, Python {f['python']}",
        f"- code: {f['code']}",
        f"- load average (1 min) at the start and the end: "
        f"{f['load_average'][0]:.2f} and {f['load_average'][1]:.2f}",
        f"- input: {f['input']}; labels not found in the gazetteer: "
        f"{f['labels_not_in_gazetteer']}",
        f"- gazetteer neighbourhood locations by source: "
        f"{f['gazetteer_location_sources']}",
        f"- confidence threshold (pack setting, fixed before measuring): "
        f"{f['confidence_threshold']}",
        "",
        "| measure | result | target |",
        "|---|---:|---|",
        f"| right district (text names a district or a unique neighbourhood) | "
        f"{d['ok']}/{d['n']} = {ds:.1%} | ≥ 99 % {_mark(ds >= TARGET_DISTRICT)} |",
        f"| right district, rows whose text names another district than the label "
        f"left out | {dc['ok']}/{dc['n']} = {dcs:.1%} | ≥ 99 % "
        f"{_mark(dcs >= TARGET_DISTRICT)} |",
        f"| right neighbourhood (text names the labelled one) | "
        f"{n['ok']}/{n['n']} = {ns:.1%} | ≥ 90 % {_mark(ns >= TARGET_NEIGHBOURHOOD)} |",
        f"| wrong answers at confidence ≥ threshold, rows whose text names the "
        f"labelled place (and no other district) | "
        f"{f['confident_wrong_where_text_names_the_label']} of "
        f"{f['confident']} confident | 0 "
        f"{_mark(f['confident_wrong_where_text_names_the_label'] == 0)} |",
        f"| answers at confidence ≥ threshold that differ from the label, all rows "
        f"(mostly text naming another neighbourhood than the label, listed below) | "
        f"{f['confident_wrong']} of {f['confident']} confident | |",
        f"| flagged for a pin | {f['flagged_for_pin']['n']}/"
        f"{f['flagged_for_pin']['of']} = {pin:.1%} | |",
        f"| placed by an Open311 post with no pin (a door or street-line point; "
        f"a sure neighbourhood still asks for one) | "
        f"{f['placed_by_open311']['n']}/{f['placed_by_open311']['of']} | |",
        f"| median distance from the known point, all located results | "
        f"{_m(f['median_distance_m'])} ({f['located']} results) | |",
        f"| median distance, results placed without a pin | "
        f"{_m(f['median_distance_placed_m'])} ({f['placed']} results) | |",
        f"| queries per second (one process, warm, best of "
        f"{len(f['pass_seconds'])} passes) | {f['queries_per_second']:,.0f} | |",
        "",
        f"Levels reached: {f['levels']}.",
        "",
        "Most neighbourhoods have no polygon in the data available (OSM has 55 "
        "of 595); their point is the district's, so such results always ask for "
        "a pin and their distance is the district's size.",
        "",
        "## Neighbourhood misses (text names the labelled neighbourhood)",
        "",
        "| address | label | geocoder | confidence |",
        "|---|---|---|---:|",
    ]
    for row, result in failures:
        got = (result.neighbourhood or {}).get("name") or result.level
        lines.append(
            f"| {row['address']} | {row['district']} / {row['mahalle']} | "
            f"{(result.district or {}).get('name', '-')} / {got} | "
            f"{result.confidence:.2f} |"
        )
    lines += ["", "## Confident answers that disagree with the label", ""]
    if not confident_wrong:
        lines.append("None.")
    else:
        lines += ["| address | label | geocoder | confidence |", "|---|---|---|---:|"]
        for row, result in confident_wrong:
            lines.append(
                f"| {row['address']} | {row['district']} / {row['mahalle']} | "
                f"{(result.district or {}).get('name', '-')} / "
                f"{(result.neighbourhood or {}).get('name', '-')} | "
                f"{result.confidence:.2f} |"
            )
    other = [c for c in cases if c["text_names_other_district"]]
    lines += [
        "",
        f"## Rows whose text names another district than the label ({len(other)})",
        "",
    ]
    for case in other:
        row = case["row"]
        lines.append(f"- {row['address']} — label {row['district']} / {row['mahalle']}")
    return "\n".join(lines) + "\n"


def _m(value):
    return "-" if value is None else f"{value:,.0f} m"


if __name__ == "__main__":
    main()
