"""Benchmark a history import of 1,000,000 rows against a reference, in one run.

What: a CSV in the import format (``service_code, lat, long, description,
requested_datetime, status, closed_datetime, recorded_owner, external_id``)
of N generated rows (default 1,000,000): points spread over Hatay's real
districts as ``routing_data`` spreads them, the pack's categories, Turkish
descriptions, mostly closed statuses, naive Europe/Istanbul times over ten
years. The database is prepared as for the routing benchmarks (pack, layers,
the demo roads grown to 50,000 segments). Two paths load the same file,
interleaved, best of ``--repeat``:

- geopool: ``manage.py import_requests FILE --commit --no-progress`` as a
  child process, as a user runs it (Django start-up included): checks every
  row, COPYs the requests, stores today's decision of each;
- the reference, written here: a psycopg COPY of the CSV into a plain table
  with matching columns (the server parses the numbers and the times, and
  makes the point), the reference kernel of ``route_bulk`` (``Reference``:
  prepared ``contains_xy`` per district, STRtree ``dwithin`` roads, the
  nearest among the hits) over the points, a COPY of (row id, owner), and
  the indexes the service-request table has, built on the loaded tables.
  Timed end to end, from reading the layers to the commit.

Between runs the imported rows are removed (the request and decision tables
truncated: the benchmark's database holds nothing else) and a CHECKPOINT is
forced, so each run starts equal.

Correctness: the stored request count equals the CSV's; for a sample of
1,000 rows (half of them from the road categories) the stored decision's
owner is compared with the kernel's. Where the rule set reads the same roads
as the kernel (road maintenance and ponding) they must agree, except where
geopool's tie rule sends the request to triage; for the other categories the
agreement is listed with the rule geopool applied.

Why: the routing capability requires the history import of a million rows
within 2x of the reference's wall time.

Run from the repository root::

    .venv/bin/python benchmarks/history_import.py
    .venv/bin/python benchmarks/history_import.py --rows 50000 --repeat 1
"""

import argparse
import cProfile
import csv
import datetime
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import import_layers  # benchmarks/import_layers.py: run_measured, machine info
import numpy as np
import psycopg
import route_bulk  # the reference kernel (Reference) and Phases
import routing_data as rd
from routing_data import log

DEFAULT_ROWS = 1_000_000
DEFAULT_ROADS = 50_000
DEFAULT_SAMPLE = 1_000
TARGET_RATIO = 2.0  # geopool wall time over the reference's, at most
CSV_VERSION = 1  # bumped whenever the generator changes
EXTERNAL_PREFIX = "ALO153-"
PROFILE_ROWS = 200_000
TIMEOUT_S = 3600
# geopool's settings.TIME_ZONE: naive times in the CSV are wall-clock there.
ZONE = "Europe/Istanbul"
FIRST_DAY = np.datetime64("2016-01-01T00:00:00")
YEARS = 10
# No closing time later than this (the import refuses times in the future).
LAST_CLOSED = np.datetime64("2026-06-30T00:00:00")

TABLE = "bench_history_reference"
OWNERS = "bench_history_reference_owner"
# The categories whose rules (v2) read the roads exactly as the kernel does:
# KGM roads within 25 m, HBB roads within 15 m, district streets within 15
# m, the nearest wins, else the district municipality. geopool adds one rule
# the kernel lacks: two owners' roads within 3 m of each other go to triage.
KERNEL_CATEGORIES = ("YOL-BAKIM", "KAR", "YOL-YENI", "YAGMUR")
SAMPLE_KERNEL_SHARE = 0.5

# -- the CSV ------------------------------------------------------------------

HEADER = (
    "service_code",
    "lat",
    "long",
    "description",
    "requested_datetime",
    "status",
    "closed_datetime",
    "recorded_owner",
    "external_id",
)
# Open311's two words and geopool's own, as an older system exports them.
STATUSES = (
    ("closed", 0.55),
    ("resolved", 0.22),
    ("refused", 0.04),
    ("duplicate", 0.03),
    ("reopened", 0.02),
    ("open", 0.08),
    ("in_progress", 0.04),
    ("waiting_info", 0.02),
)
CLOSED_STATUSES = {"closed", "resolved", "refused", "duplicate"}
# Who the old system recorded as owner, by category (else the district
# municipality or HBB); a share is recorded as someone else entirely.
RECORDED_BY_CATEGORY = {
    "SU": "HATSU",
    "KANAL": "HATSU",
    "YAGMUR": "HATSU",
    "ELEKTRIK": "TOROSLAR",
    "ELEKTRIK-HAT": "TOROSLAR",
    "AYD-SOKAK": "TOROSLAR",
    "GAZ": "AKSA",
    "DERE": "DSI",
    "KONTEYNER-KENT": "AFAD",
}
RECORDED_HBB = ("SINYAL", "LEVHA", "DURAK", "TOPLU-TASIMA", "OTOPARK", "ITFAIYE")
RECORDED_HBB += ("ATIK-TESIS", "MEZARLIK", "SOSYAL", "DIGER")
RECORDED_DISTRICT_SHARE = 0.7  # of the others: the district, else HBB
RECORDED_OTHER_SHARE = 0.08

# What callers said, by category; a place and sometimes a second sentence
# are added (some with a comma or quotes, so the CSV quotes them).
SAYINGS = {
    "YOL-BAKIM": (
        "Yolda büyük bir çukur var",
        "Asfalt bozulmuş, araçlar zarar görüyor",
    ),
    "YOL-YENI": ("Mahallemize yeni yol açılmasını talep ediyoruz",),
    "KALDIRIM": ("Kaldırım taşları kırılmış", "Kaldırım yüksekliği yaşlılar için zor"),
    "KAR": ("Yol buzlanmış, tuzlama yapılmadı", "Kar küreme aracı gelmedi"),
    "SINYAL": ("Trafik ışıkları çalışmıyor",),
    "LEVHA": ("Yön levhası devrilmiş", "Yaya geçidi çizgileri silinmiş"),
    "DURAK": ("Otobüs durağının camı kırık",),
    "TOPLU-TASIMA": ("Otobüsler saatinde gelmiyor", "Hat seferleri azaltılmış"),
    "OTOPARK": ("Otopark girişi araçlarla kapatılmış",),
    "SU": ("Sabahtan beri su yok", "Ana borudan su sızıyor"),
    "KANAL": ("Kanalizasyon taştı, koku var", "Rögar kapağı yerinden oynamış"),
    "YAGMUR": ("Yağmurdan sonra yolda su birikiyor", "Izgara tıkalı, su çekilmiyor"),
    "DERE": ("Dere yatağına moloz dökülmüş", "Dere taşma tehlikesi var"),
    "COP": ("Çöpler üç gündür alınmadı", "Çöp konteyneri taşıyor"),
    "TEMIZLIK": ("Sokak süpürülmüyor", "Cadde çok kirli"),
    "MOLOZ": ("Boş araziye hafriyat dökülüyor", "Yıkıntı molozu kaldırılmadı"),
    "ATIK-TESIS": ("Atık tesisinden koku geliyor",),
    "ILACLAMA": ("Sivrisinek çok fazla, ilaçlama yapılsın",),
    "PARK": ("Parktaki salıncak kırık", "Oyun alanının zemini bozuk"),
    "AGAC": ("Ağaç dalı elektrik teline değiyor", "Devrilmek üzere olan ağaç var"),
    "KIYI": ("Sahilde çöp birikmiş",),
    "GURULTU": ("Gece geç saate kadar yüksek sesle müzik", "İnşaat gürültüsü"),
    "AYD-SOKAK": ("Sokak lambası yanmıyor", "Direkteki lamba sürekli yanıp sönüyor"),
    "AYD-PARK": ("Parkın aydınlatması çalışmıyor",),
    "ELEKTRIK": ("Mahallede elektrik kesik", "Trafo sık sık arıza yapıyor"),
    "ELEKTRIK-HAT": ("Elektrik hattı koptu, yere sarkıyor",),
    "GAZ": ("Apartman girişinde gaz kokusu var",),
    "ZABITA-ISGAL": ("Kaldırım seyyar satıcılarla dolu", "Dükkan önü işgal edilmiş"),
    "ZABITA-ISYERI": ("Ruhsatsız işyeri açılmış", "Fırında hijyen sorunu var"),
    "HAYVAN": ("Yaralı bir köpek var", "Sokak köpekleri çocukları korkutuyor"),
    "KACAK-YAPI": ("Çatıya izinsiz kat çıkılıyor",),
    "TEHLIKELI-BINA": ("Depremde hasar gören bina yıkılmak üzere",),
    "ADRES": ("Sokak tabelası yok", "Binamızın numarası yanlış yazılmış"),
    "MEZARLIK": ("Mezarlık duvarı yıkılmış",),
    "SOSYAL": ("Yaşlı komşumuz yardım bekliyor", "Gıda yardımı başvurusu"),
    "KONTEYNER-KENT": ("Konteynerin çatısı su alıyor", "Konteyner kentte su yok"),
    "ITFAIYE": ("Boş arazide yangın çıktı",),
    "DIGER": ("Bilgi almak istiyorum", "Belediyenin çalışma saatlerini sordu"),
}
STREET_NAMES = (
    "Atatürk Caddesi",
    "Cumhuriyet Caddesi",
    "İnönü Caddesi",
    "Kurtuluş Caddesi",
    "Gazi Paşa Bulvarı",
    "Hürriyet Sokak",
    "Şehit Er Sokağı",
    "Çarşı İçi",
    "Okul Sokağı",
    "Işıklı Yolu",
)
SECOND = (
    "",
    "",
    "",
    " Lütfen en kısa sürede ilgilenin.",
    " Daha önce de bildirdim, çözülmedi.",
    " Çocuklar için tehlikeli.",
    ' Komşular "artık yeter" diyor.',
    " Fotoğraf çektim, gönderebilirim.",
)


def csv_name(n, seed, roads):
    return f"history_{n}_seed{seed}_v{CSV_VERSION}_{Path(roads['file']).stem}.csv"


def csv_write(url, world, n, seed, path):
    """Generate ``n`` rows and write them to ``path``; return the sample key.

    Returns (external ids, categories), in file order.
    """
    points = rd.points_generate(url, world, n, seed)
    rng = np.random.default_rng([seed, n, 4])
    categories = points.category
    district = rd._district_of(world, points.lon, points.lat)

    requested = _requested_times(rng, n)
    order = np.argsort(requested, kind="stable")  # exports run by date
    requested = requested[order]
    lon, lat = points.lon[order], points.lat[order]
    categories, district = categories[order], district[order]

    words = np.asarray([s for s, _ in STATUSES], dtype=object)
    weights = np.asarray([w for _, w in STATUSES])
    status = words[rng.choice(len(words), n, p=weights / weights.sum())]
    # Old systems often lack the closing time; a reopened request has one
    # from when it was closed.
    closes = np.isin(status, list(CLOSED_STATUSES)) & (rng.random(n) < 0.92)
    closes |= (status == "reopened") & (rng.random(n) < 0.5)
    hours = np.exp(rng.normal(np.log(72), 1.3, n)).clip(0.2, 24 * 400)
    closed = requested + (hours * 3600).astype("timedelta64[s]")
    closed = _skip_gaps(np.minimum(closed, LAST_CLOSED))
    closed = np.maximum(closed, requested)

    owners = _recorded_owners(rng, world, categories, district)
    descriptions = _descriptions(rng, world, categories, district)
    external_ids = [f"{EXTERNAL_PREFIX}{i + 1:07d}" for i in range(n)]
    requested_text = _stamps(requested)
    closed_text = _stamps(closed)
    lat_text = [f"{v:.6f}" for v in lat.tolist()]
    lon_text = [f"{v:.6f}" for v in lon.tolist()]
    closes = closes.tolist()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(
            zip(
                categories.tolist(),
                lat_text,
                lon_text,
                descriptions,
                requested_text,
                status.tolist(),
                (c if k else "" for c, k in zip(closed_text, closes, strict=True)),
                owners,
                external_ids,
                strict=True,
            )
        )
    return external_ids, categories


def _requested_times(rng, n):
    """Naive wall-clock times over ten years, mostly in the daytime."""
    days = rng.integers(0, YEARS * 365 + YEARS // 4, n)
    daytime = rng.random(n) < 0.8
    seconds = np.where(
        daytime,
        rng.normal(13.5 * 3600, 3.5 * 3600, n).clip(6 * 3600, 23.9 * 3600),
        rng.uniform(0, 86400, n),
    ).astype(np.int64)
    stamps = FIRST_DAY + (days * 86400 + seconds).astype("timedelta64[s]")
    return _skip_gaps(stamps)


def _gap_hours(first, last):
    """The wall-clock hours skipped when the clocks went forward, in range."""
    zone = ZoneInfo(ZONE)
    start = first.astype("datetime64[h]").astype(datetime.datetime)
    hours = int((last - first) / np.timedelta64(1, "h")) + 2
    gaps = []
    for k in range(hours):
        moment = start + datetime.timedelta(hours=k)
        back = moment.replace(tzinfo=zone).astimezone(datetime.UTC).astimezone(zone)
        if back.replace(tzinfo=None) != moment:
            gaps.append(np.datetime64(moment, "h"))
    return np.asarray(gaps, dtype="datetime64[h]")


def _skip_gaps(stamps):
    """Move times that never existed in Istanbul (spring forward) an hour on."""
    gaps = _gap_hours(stamps.min(), stamps.max())
    inside = np.isin(stamps.astype("datetime64[h]"), gaps)
    return np.where(inside, stamps + np.timedelta64(3600, "s"), stamps)


def _stamps(values):
    """``2019-05-14 13:27:05`` for each naive datetime64[s]."""
    return [s.replace("T", " ") for s in np.datetime_as_string(values, "s").tolist()]


def _recorded_owners(rng, world, categories, district):
    body = np.asarray(
        [world.district_body.get(code, "HBB") for code in district.tolist()],
        dtype=object,
    )
    owners = np.where(rng.random(len(body)) < RECORDED_DISTRICT_SHARE, body, "HBB")
    for category, owner in RECORDED_BY_CATEGORY.items():
        owners[categories == category] = owner
    owners[np.isin(categories, RECORDED_HBB)] = "HBB"
    everyone = np.asarray(sorted(world.body_short), dtype=object)
    other = rng.random(len(owners)) < RECORDED_OTHER_SHARE
    owners[other] = everyone[rng.integers(0, len(everyone), int(other.sum()))]
    return owners.tolist()


def _descriptions(rng, world, categories, district):
    n = len(categories)
    names = dict(zip(world.district_codes, world.district_names, strict=True))
    pick = rng.integers(0, 1_000, n).tolist()
    street = rng.integers(0, len(STREET_NAMES), n).tolist()
    number = rng.integers(1, 250, n).tolist()
    second = rng.integers(0, len(SECOND), n).tolist()
    form = (rng.random(n) < 0.5).tolist()
    out = []
    for i, (category, code) in enumerate(
        zip(categories.tolist(), district.tolist(), strict=True)
    ):
        sayings = SAYINGS.get(category, ("Vatandaş şikayeti",))
        said = sayings[pick[i] % len(sayings)]
        place = f"{STREET_NAMES[street[i]]} No: {number[i]}"
        town = names.get(code, "Hatay")
        if form[i]:
            text = f"{said}. {place}, {town}."
        else:
            text = f"{town}, {place} önünde: {said[0].lower()}{said[1:]}."
        out.append(text + SECOND[second[i]])
    return out


def csv_head(path, rows, folder):
    """A copy of the header and the first ``rows`` data lines of ``path``."""
    head = folder / f"head_{rows}_{path.name}"
    with path.open("rb") as source, head.open("wb") as target:
        for count, line in enumerate(source):
            if count > rows:
                break
            target.write(line)
    return head


# -- the database between runs ----------------------------------------------------


def database_check(url):
    """Refuse a database holding requests this benchmark did not write."""
    with psycopg.connect(url) as conn:
        foreign = conn.execute(
            "SELECT count(*) FROM geopool_servicerequest WHERE channel <> 'history' "
            "OR external_id NOT LIKE %s",
            [EXTERNAL_PREFIX + "%"],
        ).fetchone()[0]
    if foreign:
        raise SystemExit(
            f"{rd.redacted(url)} holds {foreign:,} requests this benchmark did not "
            "write, and every run removes all requests and decisions: point "
            "--database-url at a dedicated database"
        )


def geopool_reset(url):
    """Remove every request and decision (untimed); checkpoint.

    Decisions and their shapes are append-only (row triggers refuse DELETE),
    and the database holds nothing but this benchmark's rows
    (``database_check``), so the tables are truncated: each import starts
    from empty tables and indexes, as the first did.
    """
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "TRUNCATE routing_rules_decision, routing_rules_decisionshape, "
            "geopool_servicerequest CASCADE"
        )
        conn.execute("CHECKPOINT")


def reference_reset(url):
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}, {OWNERS}")
        conn.execute("CHECKPOINT")


# -- geopool ------------------------------------------------------------------------

SUMMARY = re.compile(r"^([\d,]+) rows read: ([\d,]+) written, ([\d,]+) bad", re.M)


def geopool_command(path):
    cmd = [sys.executable, str(rd.MANAGE), "import_requests", str(path)]
    return cmd + ["--commit", "--no-progress"]


def geopool_run(url, env, path, sample_ids):
    """Run the import as a child process; count and sample what it stored."""
    result = import_layers.run_measured(
        geopool_command(path), env=env, timeout=TIMEOUT_S
    )
    run = {
        "seconds": result.wall_s,
        "peak_rss_kb": result.peak_rss_kb,
        "ok": result.ok,
        "error": "" if result.ok else result.error(),
        "summary": rd.last_line(result.stdout),
    }
    found = SUMMARY.search(result.stdout)
    if found:
        read, written, bad = (int(g.replace(",", "")) for g in found.groups())
        run.update(read=read, written=written, bad=bad)
    with psycopg.connect(url) as conn:
        run["stored"] = conn.execute(
            "SELECT count(*) FROM geopool_servicerequest WHERE channel = 'history'"
        ).fetchone()[0]
        run["decisions"] = conn.execute(
            "SELECT count(*) FROM routing_rules_decision WHERE is_current"
        ).fetchone()[0]
        run["shapes"] = conn.execute(
            "SELECT count(*) FROM routing_rules_decisionshape"
        ).fetchone()[0]
        rows = conn.execute(
            """
            SELECT r.external_id, b.code, coalesce(p.code, ''), d.rule_code,
                   d.flags, r.recorded_owner, coalesce(o.code, '')
            FROM geopool_servicerequest r
            JOIN routing_rules_decision d ON d.request_id = r.id AND d.is_current
            JOIN geopool_body b ON b.id = d.owner_body_id
            LEFT JOIN geopool_department p ON p.id = d.owner_department_id
            LEFT JOIN geopool_body o ON o.id = r.owner_body_id
            WHERE r.channel = 'history' AND r.external_id = ANY(%s)
            """,
            [sample_ids],
        ).fetchall()
    run["owners"] = {
        row[0]: {
            "body": row[1],
            "department": row[2],
            "rule": row[3],
            "flags": list(row[4]),
            "recorded": row[5],
            "request_owner": row[6],
        }
        for row in rows
    }
    return run


def startup_time(env, repeat):
    """Best wall times of start-up alone, and with Django's system checks.

    ``import_requests --help`` starts Django and the command; ``check`` also
    runs the system checks, which a command with the default
    ``requires_system_checks`` runs before its work (``import_requests``
    skips them).
    """
    out = {}
    for name, args in (("help", ["import_requests", "--help"]), ("check", ["check"])):
        cmd = [sys.executable, str(rd.MANAGE), *args]
        runs = [
            import_layers.run_measured(cmd, env=env, timeout=300) for _ in range(repeat)
        ]
        best = min(runs, key=lambda r: r.wall_s)
        out[name] = {"seconds": best.wall_s, "peak_rss_kb": best.peak_rss_kb}
    return out


# -- the reference ------------------------------------------------------------------

# Matching the CSV's columns; the server parses the numbers and the times
# (naive ones in the session's zone, as geopool reads them) and makes the
# point as each row arrives.
_CREATE = f"""
CREATE TABLE {TABLE} (
    id bigint GENERATED ALWAYS AS IDENTITY,
    service_code text NOT NULL,
    lat double precision,
    long double precision,
    description text NOT NULL,
    requested_at timestamptz NOT NULL,
    status text NOT NULL,
    closed_at timestamptz,
    recorded_owner text NOT NULL,
    external_id text NOT NULL,
    location geometry(Point, 4326)
        GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(long, lat), 4326)) STORED
)
"""
_COPY = (
    f"COPY {TABLE} (service_code, lat, long, description, requested_at, status, "
    "closed_at, recorded_owner, external_id) FROM STDIN (FORMAT csv, HEADER true)"
)
_OPEN = "status NOT IN ('closed', 'duplicate', 'refused', 'resolved')"
# The indexes of geopool_servicerequest (and of the decisions' request key)
# that serve history rows, on the loaded tables. Left out: the tracking code
# (the reference makes none) and the keys that are empty for history rows
# (department, API key, crew, creator, SLA due time). The owner has no index
# of its own: (owner, status) serves it (migration geopool 0014).
REFERENCE_INDEXES = (
    ("primary key", f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id)"),
    ("location GiST", f"CREATE INDEX ON {TABLE} USING gist (location)"),
    (
        "location geography GiST",
        f"CREATE INDEX ON {TABLE} USING gist ((location::geography))",
    ),
    (
        "open requests' geography GiST",
        f"CREATE INDEX ON {TABLE} USING gist ((location::geography)) WHERE {_OPEN}",
    ),
    ("external_id unique", f"CREATE UNIQUE INDEX ON {TABLE} (external_id)"),
    ("status, requested_at", f"CREATE INDEX ON {TABLE} (status, requested_at)"),
    ("requested_at", f"CREATE INDEX ON {TABLE} (requested_at)"),
    ("owner, status", f"CREATE INDEX ON {TABLE} (recorded_owner, status)"),
    ("category", f"CREATE INDEX ON {TABLE} (service_code)"),
    ("owner table primary key", f"ALTER TABLE {OWNERS} ADD PRIMARY KEY (row_id)"),
)
BLOCK = 1 << 20


def reference_run(url, path, sample_ids):
    """Load, route, store the owners and index; return its figures.

    Timed from reading the layers (``route_bulk.Reference``) to the commit.
    """
    started = time.perf_counter()
    marks = {}
    reference = route_bulk.Reference(url)
    marks["prepare_s"] = time.perf_counter()
    with psycopg.connect(url) as conn:
        conn.execute("SELECT set_config('TimeZone', %s, false)", [ZONE])
        conn.execute(_CREATE)
        with (
            path.open("rb") as handle,
            conn.cursor() as cursor,
            cursor.copy(_COPY) as copy,
        ):
            while block := handle.read(BLOCK):
                copy.write(block)
        marks["copy_s"] = time.perf_counter()

        with conn.cursor(binary=True) as cursor:
            cursor.execute(
                f"SELECT id, long, lat FROM {TABLE} WHERE lat IS NOT NULL ORDER BY id"
            )
            got = np.asarray(cursor.fetchall(), dtype=float).reshape(-1, 3)
        ids = got[:, 0].astype(np.int64)
        marks["read_s"] = time.perf_counter()

        owner = reference.route(got[:, 1], got[:, 2])
        marks["kernel_s"] = time.perf_counter()

        conn.execute(f"CREATE TABLE {OWNERS} (row_id bigint NOT NULL, owner text)")
        with (
            conn.cursor() as cursor,
            cursor.copy(f"COPY {OWNERS} (row_id, owner) FROM STDIN") as copy,
        ):
            for row in zip(ids.tolist(), owner.tolist(), strict=True):
                copy.write_row(row)
        marks["owners_copy_s"] = time.perf_counter()

        index_s = {}
        for name, statement in REFERENCE_INDEXES:
            at = time.perf_counter()
            conn.execute(statement)
            index_s[name] = round(time.perf_counter() - at, 3)
        marks["indexes_s"] = time.perf_counter()
        conn.commit()
        marks["commit_s"] = time.perf_counter()
        elapsed = marks["commit_s"] - started

        stored = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
        owners = dict(
            conn.execute(
                f"SELECT t.external_id, o.owner FROM {TABLE} t JOIN {OWNERS} o "
                "ON o.row_id = t.id WHERE t.external_id = ANY(%s)",
                [sample_ids],
            ).fetchall()
        )
        table_bytes = conn.execute(
            "SELECT pg_total_relation_size(%s) + pg_total_relation_size(%s)",
            [TABLE, OWNERS],
        ).fetchone()[0]
    phases, before = {}, started
    for name, at in marks.items():
        phases[name] = round(at - before, 3)
        before = at
    phases["index_s"] = index_s
    return {
        "seconds": elapsed,
        "phases": phases,
        "stored": stored,
        "routed": len(ids),
        "owners": owners,
        "table_bytes": table_bytes,
    }


# -- where geopool's time goes -------------------------------------------------------


def diagnose(url, path, folder, profile_rows):
    """The import in this process: its stages, then cProfiles on a head file.

    ``history_import`` is called as the command calls it, inside
    ``route_bulk.Phases`` (time in ``engine.route``, in SQL statements, in
    the garbage collector); the summary's own ``seconds`` give its stages
    (parse runs in a thread beside the rest). The cProfile of the import
    sees the main thread only, so the parse stage (reading and checking) is
    profiled alone as well.
    """
    from geopool.services.history import CHUNK, history_import

    out = {}
    geopool_reset(url)
    with route_bulk.Phases() as phases:
        started = time.perf_counter()
        summary = history_import(path, commit=True)
        elapsed = time.perf_counter() - started
    out["in_process"] = {
        "seconds": round(elapsed, 2),
        "written": summary.written,
        "stages_s": {k: round(v, 2) for k, v in summary.seconds.items()},
        "phases": phases.as_dict(),
        "chunk": CHUNK,
    }
    log(f"diagnostic: in process {elapsed:.1f} s, stages {out['in_process']}")

    head = csv_head(path, profile_rows, folder)
    geopool_reset(url)
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    history_import(head, commit=True)
    profile.disable()
    out["profile_import"] = route_bulk._profile_entries(
        profile, "history_import (main thread)", profile_rows, _since(started), 25
    )
    out["index_upkeep"] = index_upkeep(url)
    geopool_reset(url)
    out["profile_parse"] = parse_profile(head, profile_rows)
    return out


def index_upkeep(url):
    """Seconds to insert the stored requests again into copies of their table.

    Copies without indexes, with the btree indexes only and with all of
    them (constraints and foreign keys left out), so the server's share of
    the requests' COPY that goes to keeping the indexes shows.
    """
    out = {}
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT count(*) FROM geopool_servicerequest").fetchone()
        out["rows"] = rows[0]
        for name, like in (
            ("no indexes", ""),
            ("btree indexes", "INCLUDING INDEXES"),
            ("all indexes", "INCLUDING INDEXES"),
        ):
            conn.execute("DROP TABLE IF EXISTS bench_history_upkeep")
            conn.execute(
                "CREATE TABLE bench_history_upkeep "
                f"(LIKE geopool_servicerequest {like})"
            )
            if name == "btree indexes":
                for (index,) in conn.execute(
                    "SELECT indexname FROM pg_indexes WHERE tablename = "
                    "'bench_history_upkeep' AND indexdef LIKE '%USING gist%'"
                ).fetchall():
                    conn.execute(f'DROP INDEX "{index}"')
            conn.execute("CHECKPOINT")
            started = time.perf_counter()
            conn.execute(
                "INSERT INTO bench_history_upkeep SELECT * FROM geopool_servicerequest"
            )
            out[name] = round(_since(started), 2)
        conn.execute("DROP TABLE bench_history_upkeep")
    log(f"diagnostic: inserting the requests again {out}")
    return out


def parse_profile(path, rows):
    """cProfile of reading and checking ``path`` alone (no database)."""
    from django.conf import settings
    from django.utils import timezone

    from geopool.services.history import CHUNK
    from geopool.services.history.checks import Lookups, chunk_check
    from geopool.services.history.reading import Utf8Lines, header_read, records
    from routing_rules.context import live_context

    context = live_context()
    lookups = Lookups(
        categories={c: (k.id, k.is_emergency) for c, k in context.categories.items()},
        bodies={code: b.id for code, b in context.bodies.items()},
        zone=ZoneInfo(settings.TIME_ZONE),
        now=timezone.now(),
    )
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    with path.open("rb") as handle:
        lines = Utf8Lines(handle, path.name)
        reader = csv.reader(lines)
        positions, width = header_read(reader, path.name)
        for chunk, numbers, _malformed in records(
            reader, width, CHUNK, path.name, lines
        ):
            chunk_check(chunk, numbers, positions, lookups)
    profile.disable()
    return route_bulk._profile_entries(
        profile, "reading + checking (parse stage)", rows, _since(started), 25
    )


def _since(started):
    return time.perf_counter() - started


# -- correctness ---------------------------------------------------------------


def sample_draw(external_ids, categories, size, seed):
    """``size`` external ids: half from the kernel's categories, half from all."""
    rng = np.random.default_rng([seed, size, 5])
    ids = np.asarray(external_ids, dtype=object)
    size = min(size, len(ids))
    kernel = np.flatnonzero(np.isin(categories, KERNEL_CATEGORIES))
    n_kernel = min(int(size * SAMPLE_KERNEL_SHARE), len(kernel))
    chosen = set(rng.choice(kernel, n_kernel, replace=False).tolist())
    rest = np.setdiff1d(np.arange(len(ids)), list(chosen))
    chosen |= set(rng.choice(rest, size - n_kernel, replace=False).tolist())
    picked = sorted(chosen)
    return ids[picked].tolist(), categories[picked].tolist()


def compare(sample_ids, sample_categories, geopool_owners, reference_owners):
    """Sort the sample into agreements, explained differences and mismatches."""
    kernel = {"rows": 0, "agree": 0, "tie_triage": 0, "mismatches": []}
    other = {}
    missing = []
    keeps_recorded = 0
    for external_id, category in zip(sample_ids, sample_categories, strict=True):
        got = geopool_owners.get(external_id)
        expected = reference_owners.get(external_id)
        if got is None or expected is None:
            missing.append(external_id)
            continue
        keeps_recorded += got["request_owner"] == got["recorded"]
        same = got["body"] == expected
        if category in KERNEL_CATEGORIES:
            kernel["rows"] += 1
            if same:
                kernel["agree"] += 1
            elif "triage" in got["flags"]:
                kernel["tie_triage"] += 1
            else:
                kernel["mismatches"].append(
                    {"external_id": external_id, "category": category, **got}
                    | {"kernel": expected}
                )
            continue
        key = (category, got["rule"] or "triage")
        row = other.setdefault(key, {"rows": 0, "agree": 0, "example": None})
        row["rows"] += 1
        row["agree"] += same
        if not same and row["example"] is None:
            row["example"] = f"geopool {got['body']}, kernel {expected}"
    others = [
        {"category": c, "rule": r, **v}
        for (c, r), v in sorted(other.items(), key=lambda kv: (-kv[1]["rows"], kv[0]))
    ]
    return {
        "sample": len(sample_ids),
        "missing": len(missing),
        "keeps_recorded_owner": keeps_recorded,
        "kernel_categories": list(KERNEL_CATEGORIES),
        "kernel": kernel,
        "other": others,
        "other_rows": sum(r["rows"] for r in others),
        "other_agree": sum(r["agree"] for r in others),
    }


# Why geopool's rule gives another owner than the kernel, by rule stage.
RULE_REASONS = {
    "GAZ-AKSA": "emergency: the gas company, wherever the point is",
    "ITFAIYE-HBB": "emergency: HBB's fire brigade",
    "ELEKTRIK-HAT-TOROSLAR": "emergency: the electricity distributor",
    "KONTEYNER-KENT-ISLETEN": "inside a container city: its operator",
    "PARK-BAKIM": "in a park or within 5 m: its maintainer",
    "ZABITA-HBB-PARK": "in an HBB park: HBB's municipal police",
    "AYDINLATMA-O53-KGM": "street lighting on the O-53: KGM",
    "ZABITA-HBB-YOL": "on an HBB road: HBB's municipal police",
    "SU-KANAL-HATSU": "category default: the water utility everywhere",
    "ELEKTRIK-TOROSLAR": "category default: the electricity distributor",
    "ULASIM-HBB": "category default: HBB transport",
    "DERE-HBB": "category default: HBB",
    "ATIK-TESIS-HBB": "category default: HBB",
    "MEZARLIK-HBB": "category default: HBB",
    "SOSYAL-HBB": "category default: HBB",
    "DIGER-KOORDINATOR": "category default: the pool coordinator (HBB)",
    "ILCE-HIZMETLERI": "a district service: the district municipality, "
    "where the kernel gives a nearby road's owner",
    "ILCE-GERI-DONUS": "district fallback, where the kernel gives a nearby "
    "road's owner",
}


# -- the report ---------------------------------------------------------------------


def other_benchmarks():
    """Other benchmark processes on the machine (``pgrep -af benchmarks/``)."""
    done = subprocess.run(
        ["pgrep", "-af", "benchmarks/"], capture_output=True, text=True, check=False
    )
    mine = {os.getpid(), os.getppid()}
    return [
        line
        for line in done.stdout.splitlines()
        if line.split(" ", 1)[0].isdigit() and int(line.split(" ", 1)[0]) not in mine
    ]


def _mb(kb):
    return None if kb is None else kb / 1024


def _num(value, fmt):
    return "—" if value is None else format(value, fmt)


def _runs(runs):
    return ", ".join(f"{r['seconds']:.2f}" for r in runs)


def report_markdown(meta, figures, correctness, diagnostics):
    lines = rd.header_lines(
        "History import benchmark: import_requests vs COPY + kernel + indexes",
        "history_import.py",
        meta,
    )
    p = meta["parameters"]
    g, r = figures["geopool"], figures["reference"]
    lines += [
        f"- data: a CSV of {p['rows']:,} rows ({meta['csv_mb']:.0f} MB; generated "
        f"in {meta['csv_s']:.0f} s, untimed), {p['roads']:,} road segments in "
        f"roads generation {meta['roads']['generation']} "
        f"(`{meta['roads']['file']}`), seed {p['seed']}; active rule set "
        f"v{meta['rule_set_version']}",
        f"- best of {p['repeat']} runs per path, interleaved (the order alternating); "
        "before each run the requests and decisions are truncated (geopool) or "
        "the reference's tables dropped, and a CHECKPOINT forced",
        f"- geopool command: `{meta['geopool_command']}`; start-up alone "
        f"(`import_requests --help`): {meta['startup']['help']['seconds']:.2f} s, "
        f"{_num(_mb(meta['startup']['help']['peak_rss_kb']), '.0f')} MB; with "
        "Django's system checks (`manage.py check`), which the command skips: "
        f"{meta['startup']['check']['seconds']:.2f} s",
        f"- other benchmarks running at the start: {len(meta['others_start'])}, "
        f"at the end: {len(meta['others_end'])}",
    ]
    for note in meta.get("notes", []):
        lines.append(f"- note: {note}")
    ratio = figures["ratio"]
    verdict = "✓" if ratio <= TARGET_RATIO else "✗"
    rp = r["phases"]
    lines += [
        "",
        f"Target: geopool's wall time ≤ {TARGET_RATIO:g}× the reference's.",
        "",
        "| path | best s | rows/s | peak RSS MB | runs (s) | load (1 min) before "
        "each run |",
        "|---|---:|---:|---:|---|---|",
        f"| geopool `manage.py import_requests --commit` | {g['best_s']:.2f} | "
        f"{g['rows_per_s']:,.0f} | {_num(_mb(g['peak_rss_kb']), '.0f')} | "
        f"{_runs(g['runs'])} | {', '.join(str(x['load']) for x in g['runs'])} |",
        f"| reference: COPY + kernel + owners COPY + indexes | {r['best_s']:.2f} | "
        f"{r['rows_per_s']:,.0f} | — | {_runs(r['runs'])} | "
        f"{', '.join(str(x['load']) for x in r['runs'])} |",
        "",
        f"- **geopool / reference: {ratio:.2f}×** (wall time; target ≤ "
        f"{TARGET_RATIO:g}×) {verdict}",
        f"- geopool's summary line: `{g['summary']}`",
        f"- geopool stored {g['stored']:,} requests and {g['decisions']:,} current "
        f"decisions sharing {g['shapes']:,} decision shapes",
        f"- the reference's best run: layers read and kernel prepared "
        f"{rp['prepare_s']:.2f} s, COPY of the CSV {rp['copy_s']:.2f} s, points "
        f"read back {rp['read_s']:.2f} s, kernel {rp['kernel_s']:.2f} s, owners "
        f"COPY {rp['owners_copy_s']:.2f} s, indexes {rp['indexes_s']:.2f} s, "
        f"commit {rp['commit_s']:.2f} s; {r['stored']:,} rows, "
        f"{r['table_bytes'] / 1e6:,.0f} MB with indexes",
        "- the reference's indexes (s): "
        + ", ".join(f"{k} {v:.2f}" for k, v in rp["index_s"].items()),
    ]
    lines += _correctness_lines(correctness)
    if diagnostics:
        lines += _diagnostic_lines(figures, diagnostics)
    if meta.get("remarks"):
        lines += ["", "## Notes", ""] + [f"- {m}" for m in meta["remarks"]]
    return "\n".join(lines) + "\n"


def _correctness_lines(c):
    k = c["kernel"]
    counts = c["counts"]
    lines = [
        "",
        "## Correctness",
        "",
        f"- rows: CSV {counts['csv']:,}; geopool stored {counts['geopool']:,} "
        f"requests ({counts['geopool_decisions']:,} current decisions); the "
        f"reference stored {counts['reference']:,} "
        + ("✓" if counts["equal"] else "✗"),
        f"- sample: {c['sample']:,} rows (half of them from the categories "
        "below), "
        f"{c['missing']} without a stored answer on a side; "
        f"{c['keeps_recorded_owner']:,} keep the recorded owner on the request",
        f"- categories whose rules read the roads as the kernel does "
        f"({', '.join(c['kernel_categories'])}): {k['rows']:,} rows, {k['agree']:,} "
        f"agree, {k['tie_triage']:,} go to triage (two owners' roads within the "
        f"3 m tie margin: a rule the kernel lacks), **{len(k['mismatches'])} "
        "mismatches** (target 0) " + ("✓" if not k["mismatches"] else "✗"),
    ]
    for row in k["mismatches"][:10]:
        lines.append(
            f"  - {row['external_id']} {row['category']}: geopool {row['body']} "
            f"({row['rule']}; {', '.join(row['flags']) or 'no flags'}), kernel "
            f"{row['kernel']}"
        )
    lines += [
        f"- the other categories: {c['other_rows']:,} rows, {c['other_agree']:,} "
        "agree with the kernel; where not, their rules decide by something the "
        "kernel does not model (by category and the rule geopool applied):",
        "",
        "| category | geopool's rule | rows | agree | why they differ | example |",
        "|---|---|---:|---:|---|---|",
    ]
    for row in c["other"]:
        why = RULE_REASONS.get(row["rule"], "") if row["agree"] < row["rows"] else ""
        lines.append(
            f"| {row['category']} | {row['rule']} | {row['rows']} | {row['agree']} | "
            f"{why} | {row['example'] or ''} |"
        )
    return lines


def _diagnostic_lines(figures, d):
    lines = ["", "## Where geopool's time goes"]
    inside = d.get("in_process")
    if inside:
        st, ph = inside["stages_s"], inside["phases"]
        lines += [
            "",
            f"The same CSV through `history_import(path, commit=True)` in this "
            f"process (no start-up): {inside['seconds']:.1f} s for "
            f"{inside['written']:,} rows (the best child process: "
            f"{figures['geopool']['best_s']:.1f} s). Its own stages (chunks of "
            f"{inside['chunk']:,} rows; parse runs in a thread beside the rest, "
            "so the stages add up to more than the wall time when it overlaps):",
            "",
            f"- parse (reading + checking): {st['parse']:.1f} s",
            f"- lookup (external ids already stored): {st['lookup']:.1f} s",
            f"- copy (ids, tracking codes, COPY of the requests): {st['copy']:.1f} s",
            f"- route (from memory, in a thread beside the index builds; with the "
            f"changed count and, for a large import, the heat-map bins): "
            f"{st['route']:.1f} s, of which `engine.route` "
            f"{ph['engine_route_s']:.1f} s",
            f"- decisions (their shapes and COPY): {st.get('decisions', 0):.1f} s",
            f"- SQL statements through Django's connection: "
            f"{ph['sql_statements_s']:.1f} s; garbage-collector pauses "
            f"{ph['gc_pause_s']:.1f} s",
        ]
    upkeep = d.get("index_upkeep")
    if upkeep:
        lines += [
            "",
            f"The {upkeep['rows']:,} requests of the profiled import inserted again "
            "(`INSERT … SELECT`, after a CHECKPOINT) into copies of their table: "
            f"without indexes {upkeep['no indexes']:.2f} s, with the btree indexes "
            f"{upkeep['btree indexes']:.2f} s, with all "
            f"{upkeep['all indexes']:.2f} s.",
        ]
    for key in ("profile_import", "profile_parse"):
        profile = d.get(key)
        if not profile:
            continue
        lines += [
            "",
            f"cProfile of {profile['what']} over the first {profile['requests']:,} "
            f"rows ({profile['wall_s']:.1f} s under the profiler), top entries by "
            "own time:",
            "",
            "| function | calls | own s | cumulative s |",
            "|---|---:|---:|---:|",
        ]
        for entry in profile["by_tottime"][:15]:
            lines.append(
                f"| `{entry['function']}` | {entry['calls']:,} | "
                f"{entry['tottime_s']:.2f} | {entry['cumtime_s']:.2f} |"
            )
        if key == "profile_import":
            lines += ["", "By cumulative time:", "", "| function | cumulative s |"]
            lines.append("|---|---:|")
            for entry in profile["by_cumtime"][:15]:
                lines.append(f"| `{entry['function']}` | {entry['cumtime_s']:.2f} |")
    return lines


# -- the run --------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=(
            "Import a generated history CSV with manage.py import_requests and "
            "load it with a COPY + kernel + index reference in one run, check a "
            "sample, and write benchmarks/results/history_import.{md,json}."
        )
    )
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--roads", type=int, default=DEFAULT_ROADS)
    parser.add_argument("--sample", type=int, default=DEFAULT_SAMPLE)
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs per path; best kept (default 2)"
    )
    parser.add_argument("--seed", type=int, default=5256)
    parser.add_argument(
        "--database-url",
        default="postgres:///geopool_history_bench",
        help="dedicated PostGIS database, created if missing; every run empties "
        "its requests and decisions (default postgres:///geopool_history_bench)",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="drop and recreate the database first"
    )
    parser.add_argument(
        "--diagnostics",
        choices=("auto", "always", "never"),
        default="auto",
        help="when the target is missed (auto): run the import once more in "
        "this process for its stages, and cProfile it and its parse stage over "
        f"the first {PROFILE_ROWS:,} rows",
    )
    parser.add_argument("--output", type=Path, default=rd.RESULTS)
    parser.add_argument(
        "--name", default="history_import", help="results file name (no suffix)"
    )
    args = parser.parse_args(argv)
    if args.rows < 1000 or args.sample < 1 or args.repeat < 1:
        parser.error("--rows >= 1000, --sample >= 1 and --repeat >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="geopool-bench-") as folder:
        return run(args, Path(folder))


def run(args, folder):
    url = args.database_url
    env = rd.geopool_env(url, folder / "media")
    machine = rd.machine_info()
    load_start = rd.load_average()
    others_start = other_benchmarks()
    for line in others_start:
        log(f"another benchmark is running: {line}")
    log(
        f"{machine['nproc']} cores, {machine['cpu']}; {args.rows:,} rows, "
        f"{args.roads:,} roads, database {rd.redacted(url)}"
    )
    rd.database_prepare(url, env, fresh=args.fresh)
    database_check(url)
    world = rd.world_read(url)
    roads = rd.roads_ensure(url, env, world, args.roads, args.seed, folder)
    rd.django_setup(env)

    path = folder / csv_name(args.rows, args.seed, roads)
    log(f"writing {args.rows:,} rows to {path.name}")
    started = time.perf_counter()
    external_ids, categories = csv_write(url, world, args.rows, args.seed, path)
    csv_s = time.perf_counter() - started
    log(f"CSV written in {csv_s:.1f} s ({path.stat().st_size / 1e6:.0f} MB)")
    sample_ids, sample_categories = sample_draw(
        external_ids, categories, args.sample, args.seed
    )
    startup = startup_time(env, args.repeat)
    log(
        f"geopool start-up: {startup['help']['seconds']:.2f} s, with the system "
        f"checks {startup['check']['seconds']:.2f} s"
    )

    runs = {"geopool": [], "reference": []}

    def geopool_once(label):
        geopool_reset(url)
        load = rd.load_average()
        result = geopool_run(url, env, path, sample_ids)
        result["load"] = load
        runs["geopool"].append(result)
        log(
            f"geopool {label}: {result['seconds']:.2f} s, "
            f"{args.rows / result['seconds']:,.0f} rows/s, "
            f"{_num(_mb(result['peak_rss_kb']), '.0f')} MB; {result['summary']}"
        )
        if not result["ok"]:
            raise SystemExit(f"import_requests failed: {result['error']}")

    def reference_once(label):
        reference_reset(url)
        load = rd.load_average()
        result = reference_run(url, path, sample_ids)
        result["load"] = load
        runs["reference"].append(result)
        log(
            f"reference {label}: {result['seconds']:.2f} s, "
            f"{args.rows / result['seconds']:,.0f} rows/s {result['phases']}"
        )

    for attempt in range(1, args.repeat + 1):
        label = f"run {attempt}/{args.repeat}"
        order = (geopool_once, reference_once)
        for step in order if attempt % 2 else reversed(order):
            step(label)

    figures = _figures(runs, args.rows)
    log(f"geopool/reference {figures['ratio']:.2f}x")
    missed = figures["ratio"] > TARGET_RATIO

    last_geopool, last_reference = runs["geopool"][-1], runs["reference"][-1]
    correctness = compare(
        sample_ids,
        sample_categories,
        last_geopool["owners"],
        last_reference["owners"],
    )
    correctness["counts"] = {
        "csv": args.rows,
        "geopool": last_geopool["stored"],
        "geopool_decisions": last_geopool["decisions"],
        "reference": last_reference["stored"],
        "equal": last_geopool["stored"]
        == last_reference["stored"]
        == args.rows
        == last_geopool["decisions"],
    }
    k = correctness["kernel"]
    log(
        f"sample: kernel categories {k['rows']} rows, {k['agree']} agree, "
        f"{k['tie_triage']} triage ties, {len(k['mismatches'])} mismatches; "
        f"counts {correctness['counts']}"
    )

    diagnostics = {}
    if args.diagnostics == "always" or (args.diagnostics == "auto" and missed):
        log("diagnostic: the import in this process, then cProfiles")
        diagnostics = diagnose(url, path, folder, min(PROFILE_ROWS, args.rows))
    geopool_reset(url)
    reference_reset(url)

    with psycopg.connect(url) as conn:
        version = conn.execute(
            "SELECT version FROM routing_rules_ruleset WHERE is_active"
        ).fetchone()[0]
        conn.execute(f"DROP TABLE IF EXISTS {route_bulk.SCRATCH}")
    meta = {
        "machine": machine,
        "software": rd.software(url),
        "database_url": rd.redacted(url),
        "load_average": {"start": load_start, "end": rd.load_average()},
        "others_start": others_start,
        "others_end": other_benchmarks(),
        "parameters": {
            "rows": args.rows,
            "roads": args.roads,
            "sample": len(sample_ids),
            "repeat": args.repeat,
            "seed": args.seed,
        },
        "roads": roads,
        "rule_set_version": version,
        "csv_s": csv_s,
        "csv_mb": path.stat().st_size / 1e6,
        "startup": startup,
        "geopool_command": " ".join(["manage.py", *geopool_command("FILE")[2:]]),
        "reference_indexes": [s for _, s in REFERENCE_INDEXES],
        "targets": {"ratio_max": TARGET_RATIO, "kernel_mismatches_max": 0},
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / f"{args.name}.md").write_text(
        report_markdown(meta, figures, correctness, diagnostics), encoding="utf-8"
    )
    rd.write_json(
        args.output / f"{args.name}.json",
        {
            **meta,
            "figures": figures,
            "runs": {
                side: [{k: v for k, v in r.items() if k != "owners"} for r in rs]
                for side, rs in runs.items()
            },
            "correctness": correctness,
            "diagnostics": diagnostics,
        },
    )
    log(f"results: {args.output / (args.name + '.md')}")
    ok = correctness["counts"]["equal"] and not k["mismatches"]
    return 0 if ok and not missed else 1


def _figures(runs, n):
    geopool = min(runs["geopool"], key=lambda r: r["seconds"])
    reference = min(runs["reference"], key=lambda r: r["seconds"])
    return {
        "geopool": {
            "best_s": geopool["seconds"],
            "rows_per_s": n / geopool["seconds"],
            "peak_rss_kb": geopool["peak_rss_kb"],
            "summary": geopool["summary"],
            "stored": geopool["stored"],
            "decisions": geopool["decisions"],
            "shapes": geopool["shapes"],
            "runs": [
                {"seconds": r["seconds"], "load": r["load"], "rss": r["peak_rss_kb"]}
                for r in runs["geopool"]
            ],
        },
        "reference": {
            "best_s": reference["seconds"],
            "rows_per_s": n / reference["seconds"],
            "phases": reference["phases"],
            "stored": reference["stored"],
            "table_bytes": reference["table_bytes"],
            "runs": [
                {"seconds": r["seconds"], "load": r["load"]} for r in runs["reference"]
            ],
        },
        "ratio": geopool["seconds"] / reference["seconds"],
    }


if __name__ == "__main__":
    sys.exit(main())
