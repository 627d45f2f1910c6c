"""Where transfers cluster: the coordinators' statistics for fixing rules.

Transfers proposed in a period are counted by the request's category, by
its district (``geopool.web.inbox.districts``), by the routing rule that
placed the request (its latest decision by a rule before the transfer; the
decisions transfers and coordinators store name no rule), and by pair of
bodies (from → to). Each row counts the transfers, the refusals, the escalations
(no answer in time) and the disputes (a request sent back the way it came).
A category or a rule with many refusals is a rule that sends requests to
the wrong body.

A refused or escalated transfer keeps that state when the coordinator
decides (the decision is stored beside it, ``settled_at``). Rows settled
before that kept no state of their own answer, so for a ``settled`` row it
is read from what the answer left: a refusal always carries its reason
(``answer_note``), an escalation never got an answer time (``answered_at``).
"""

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.db import connection
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geopool.models import Body, Category
from geopool.text import fold
from geopool.web.inbox.access import coordinator_required
from geopool.web.inbox.districts import district_sql, districts_active
from geopool.worktime import ISTANBUL

DEFAULT_DAYS = 90
COUNTS = ("transfers", "refused", "escalated", "disputes")
SORTS = {
    "-transfers": _("Most transfers"),
    "-refused": _("Most refusals"),
    "-escalated": _("Most escalations"),
    "-disputes": _("Most disputes"),
    "name": _("Name"),
}

_STATS_SQL = """
    WITH t AS (
        SELECT r.category_id, t.from_body_id, t.to_body_id,
               {district} AS district,
               rd.rule_code, rd.rule_set_version,
               (t.state = 'refused'
                OR (t.state = 'settled' AND t.answer_note <> '')) AS refused,
               (t.state = 'escalated'
                OR (t.state = 'settled' AND t.answered_at IS NULL)) AS escalated,
               t.is_dispute
        FROM geopool_transfer t
        JOIN geopool_servicerequest r ON r.id = t.request_id
        LEFT JOIN LATERAL (
            SELECT d.rule_code, d.rule_set_version
            FROM routing_rules_decision d
            WHERE d.request_id = r.id AND d.rule_code <> ''
              AND d.decided_at <= t.proposed_at
            ORDER BY d.decided_at DESC, d.id DESC
            LIMIT 1
        ) rd ON true
        WHERE t.proposed_at >= %s AND t.proposed_at < %s
    )
    SELECT GROUPING(category_id), GROUPING(district),
           GROUPING(rule_code, rule_set_version),
           GROUPING(from_body_id, to_body_id),
           category_id, district, rule_code, rule_set_version,
           from_body_id, to_body_id,
           count(*),
           count(*) FILTER (WHERE refused),
           count(*) FILTER (WHERE escalated),
           count(*) FILTER (WHERE is_dispute)
    FROM t
    GROUP BY GROUPING SETS (
        (category_id), (district), (rule_code, rule_set_version),
        (from_body_id, to_body_id), ()
    )
"""


@dataclass
class Row:
    name: str
    transfers: int
    refused: int
    escalated: int
    disputes: int
    code: str = ""
    link: str = ""


@dataclass
class Stats:
    total: Row
    categories: list
    districts: list
    rules: list
    pairs: list


# The days a period may name: the counts' arithmetic (the day after the
# last, the default start before it) stays inside what dates can hold.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


class PeriodForm(forms.Form):
    since = forms.DateField(label=_("First day"), required=False)
    until = forms.DateField(label=_("Last day"), required=False)
    sort = forms.ChoiceField(
        label=_("Order"), required=False, choices=list(SORTS.items())
    )

    def _day(self, name):
        day = self.cleaned_data.get(name)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError(
                _("Give a day from %(first)s to %(last)s.")
                % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
            )
        return day

    def clean_since(self):
        return self._day("since")

    def clean_until(self):
        return self._day("until")

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        until = data.get("until") or today
        since = data.get("since") or until - dt.timedelta(days=DEFAULT_DAYS)
        if since > until:
            raise forms.ValidationError(
                _(
                    "The period starts on %(since)s, after its end on %(until)s; "
                    "swap the dates."
                )
                % {"since": since.isoformat(), "until": until.isoformat()}
            )
        data["since"], data["until"] = since, until
        data["sort"] = data.get("sort") or "-transfers"
        return data


def _start_of(day):
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=ISTANBUL)


def transfer_stats(since, until):
    """Count the transfers proposed from day ``since`` to ``until`` inclusive."""
    district, params = district_sql("r")
    sql = _STATS_SQL.format(district=district)
    bounds = [_start_of(since), _start_of(until + dt.timedelta(days=1))]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *bounds])
        found = cursor.fetchall()

    categories = {c.pk: c for c in Category.objects.all()}
    bodies = {b.pk: b for b in Body.objects.all()}
    districts = dict(districts_active())
    stats = Stats(Row("", 0, 0, 0, 0), [], [], [], [])
    for g_cat, g_dist, g_rule, g_pair, *keys, n, refused, escalated, disputes in found:
        category_id, district_code, rule_code, version, from_id, to_id = keys
        counts = {"transfers": n, "refused": refused, "escalated": escalated}
        counts["disputes"] = disputes
        if g_cat == 0:
            category = categories[category_id]
            stats.categories.append(Row(category.name, code=category.code, **counts))
        elif g_dist == 0:
            name = districts.get(district_code, district_code) or str(
                _("(no district)")
            )
            stats.districts.append(Row(name, code=district_code or "", **counts))
        elif g_rule == 0:
            stats.rules.append(_rule_row(rule_code, version, counts))
        elif g_pair == 0:
            name = f"{bodies[from_id].name} → {bodies[to_id].name}"
            code = f"{bodies[from_id].code}→{bodies[to_id].code}"
            stats.pairs.append(Row(name, code=code, **counts))
        else:
            stats.total = Row(str(_("All transfers")), **counts)
    return stats


def _rule_row(rule_code, version, counts):
    if not rule_code:
        return Row(str(_("(no rule: coordinator or history)")), **counts)
    return Row(
        f"{rule_code} (v{version})",
        code=rule_code,
        link=f"/rules/{version}/#rule-{rule_code}",
        **counts,
    )


def rows_sorted(rows, sort):
    if sort == "name":
        return sorted(rows, key=lambda row: fold(row.name))
    key = sort.lstrip("-")
    return sorted(rows, key=lambda row: (-getattr(row, key), fold(row.name)))


@coordinator_required
def disputes(request):
    """``GET /inbox/disputes``: transfer counts over a period, for rule fixes."""
    form = PeriodForm(request.GET)
    context = {"form": form, "stats": None, "tab": "disputes", "for_pool": True}
    if not form.is_valid():
        return render(request, "inbox/disputes.html", context, status=400)
    data = form.cleaned_data
    stats = transfer_stats(data["since"], data["until"])
    sort = data["sort"]
    context.update(
        stats=stats,
        since=data["since"],
        until=data["until"],
        sort=sort,
        tables=[
            ("categories", _("By category"), rows_sorted(stats.categories, sort)),
            ("districts", _("By district"), rows_sorted(stats.districts, sort)),
            ("rules", _("By routing rule"), rows_sorted(stats.rules, sort)),
            ("pairs", _("By pair of bodies"), rows_sorted(stats.pairs, sort)),
        ],
    )
    return render(request, "inbox/disputes.html", context)
