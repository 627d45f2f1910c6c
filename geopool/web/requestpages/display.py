"""What a request's page says about its clocks, transfers and history.

The SLA clock counts working minutes (``geopool.services.workflow``): it
runs, is paused while a transfer waits for an answer or the request waits
for information, or has stopped because the request is finished. Beside it
the legal 30-day answer deadline, which anonymous reports do not have.

The history is every ``Event`` about the request, oldest first, each with
its actor and the values before and after in words (``Çöp toplama`` rather
than ``COP``, ``Antakya Belediyesi`` rather than ``ANTAKYA``).
"""

import datetime as dt

from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from geopool.models import (
    Body,
    Category,
    Channel,
    Crew,
    Department,
    Event,
    Status,
    TransferReason,
    TransferState,
)
from geopool.services.workflow import FINISHED, is_reachable
from geopool.web.l10n import datetime_text

# State names the template turns into colours.
RUNNING, OVERDUE, PAUSED, STOPPED, NONE = (
    "running",
    "overdue",
    "paused",
    "stopped",
    "none",
)

ACTIONS = {
    "request.create": gettext_lazy("Request received"),
    "request.route": gettext_lazy("Routed"),
    "request.status": gettext_lazy("Status changed"),
    "request.answer": gettext_lazy("Answer sent to the citizen"),
    "request.note": gettext_lazy("Internal note added"),
    "request.assign": gettext_lazy("Assigned within the body"),
    "request.photo": gettext_lazy("Photo added"),
    "request.photo_publish": gettext_lazy("Photo made public"),
    "request.photo_withdraw": gettext_lazy("Photo withdrawn from the public"),
    "request.public_text": gettext_lazy("Public text changed"),
    "request.change": gettext_lazy("Category or location changed"),
    "request.reroute": gettext_lazy("Routed again"),
    "request.coordinator_assign": gettext_lazy("Given to a body by the coordinator"),
    "request.incident": gettext_lazy("Grouped into an incident"),
    "transfer.propose": gettext_lazy("Transfer proposed"),
    "transfer.accept": gettext_lazy("Transfer accepted"),
    "transfer.refuse": gettext_lazy("Transfer refused"),
    "transfer.withdraw": gettext_lazy("Transfer withdrawn"),
    "transfer.escalate": gettext_lazy(
        "Transfer unanswered in time: sent to the coordinator"
    ),
    "contact.view": gettext_lazy("Caller's personal data shown"),
    "contact.purge": gettext_lazy("Caller's personal data removed (retention)"),
    "sla.near_due": gettext_lazy("SLA due time is near"),
    "request.geocode": gettext_lazy("Address read by the geocoder"),
}

KEYS = {
    "tracking_code": gettext_lazy("Tracking code"),
    "category": gettext_lazy("Category"),
    "channel": gettext_lazy("Channel"),
    "status": gettext_lazy("Status"),
    "owner": gettext_lazy("Owner"),
    "to": gettext_lazy("Offered to"),
    "department": gettext_lazy("Department"),
    "crew": gettext_lazy("Crew"),
    "rule": gettext_lazy("Rule"),
    "flags": gettext_lazy("Flags"),
    "reason": gettext_lazy("Reason"),
    "note": gettext_lazy("Note"),
    "answer": gettext_lazy("Answer"),
    "dispute": gettext_lazy("Dispute"),
    "location": gettext_lazy("Location"),
    "photo": gettext_lazy("Photo"),
    "public": gettext_lazy("Public"),
    "public_text": gettext_lazy("Public text"),
    "bytes": gettext_lazy("Size"),
    "type": gettext_lazy("Type"),
    "transfer": gettext_lazy("Transfer"),
    "incident": gettext_lazy("Incident"),
    "title": gettext_lazy("Title"),
    "fields": gettext_lazy("Fields"),
    "due_at": gettext_lazy("Due"),
    "retention_days": gettext_lazy("Retention (days)"),
    "source": gettext_lazy("Source"),
    # What the geocoder read in an address (event request.geocode).
    "level": gettext_lazy("Level"),
    "confidence": gettext_lazy("Confidence"),
    "district": pgettext_lazy("place found", "District"),
    "neighbourhood": pgettext_lazy("place found", "Neighbourhood"),
    "street": pgettext_lazy("place found", "Street"),
    "location_source": gettext_lazy("Point from"),
    "needs_location": gettext_lazy("Waits for a pin"),
}
# Parts of a geocoding reading kept for the API, not shown as such.
HIDDEN_KEYS = {"reason_code", "reason_params"}
LEVEL_LABELS = {
    "door": pgettext_lazy("place found", "Door"),
    "street": pgettext_lazy("place found", "Street"),
    "neighbourhood": pgettext_lazy("place found", "Neighbourhood"),
    "district": pgettext_lazy("place found", "District"),
    "none": gettext_lazy("nothing recognised"),
}

# The routing and workflow flags of a decision, as people read them.
FLAG_LABELS = {
    "urgent": gettext_lazy("urgent"),
    "on_edge": gettext_lazy("on a shared district edge"),
    "snapped": gettext_lazy("snapped to the nearest district"),
    "outside_districts": gettext_lazy("outside every district"),
    "no_location": gettext_lazy("no location"),
    "out_of_area": gettext_lazy("outside the service area"),
    "triage": gettext_lazy("to the coordinator's triage"),
    "tie": gettext_lazy("tie between rules"),
    "delegated": gettext_lazy("duty delegated"),
    "transfer": gettext_lazy("transferred"),
    "coordinator": gettext_lazy("placed by the coordinator"),
}
SOURCE_LABELS = {"console": gettext_lazy("Operator console")}


def flags_text(flags):
    """``["urgent", "on_edge"]`` → "acil, ortak ilçe sınırında" (unknown as is)."""
    return ", ".join(str(FLAG_LABELS.get(flag, flag)) for flag in flags or [])


CONTACT_FIELDS = {
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("E-mail"),
    "tc_kimlik_no": gettext_lazy("T.C. kimlik no"),
}

REROUTE_REASONS = {
    "asked": gettext_lazy("asked by a pool coordinator"),
    "category": gettext_lazy("the category changed"),
    "location": gettext_lazy("the location changed"),
}

ACTOR_LABELS = {
    "system": gettext_lazy("System"),
    "run_due_jobs": gettext_lazy("Scheduled job"),
    "sample": gettext_lazy("Sample data"),
}


def duration_text(minutes):
    """Working minutes as people read them: ``8 sa``, ``1 sa 30 dk``."""
    minutes = int(round(minutes or 0))
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": rest}


# -- clocks ----------------------------------------------------------------------


def sla_clock(item, *, transfer_pending, now=None):
    """{"state", "text", "detail"} of the SLA clock of ``item``."""
    now = now or timezone.now()
    if item.sla_minutes is None:
        if item.channel == Channel.HISTORY:
            text = _("Imported history: geopool kept no SLA clock for it.")
        else:
            text = _("No SLA target for this category and priority.")
        return {"state": NONE, "text": text, "detail": ""}
    target = duration_text(item.sla_minutes)
    used = _("%(used)s of %(target)s working time used") % {
        "used": duration_text(item.sla_used_minutes),
        "target": target,
    }
    if item.status in FINISHED:
        text = _("Stopped: the request is “%(status)s”.") % {
            "status": Status(item.status).label
        }
        return {"state": STOPPED, "text": text, "detail": used}
    if item.sla_running_since is None or item.sla_due_at is None:
        if transfer_pending:
            text = _("Paused while a transfer waits for an answer.")
        elif item.status == Status.WAITING_INFO:
            text = _("Paused while the request waits for information.")
        else:
            text = _("Paused.")
        return {"state": PAUSED, "text": text, "detail": used}
    due = datetime_text(item.sla_due_at)
    detail = _("target %(target)s of working time") % {"target": target}
    if item.sla_due_at <= now:
        return {
            "state": OVERDUE,
            "text": _("Overdue since %(due)s.") % {"due": due},
            "detail": detail,
        }
    return {
        "state": RUNNING,
        "text": _("Due %(due)s.") % {"due": due},
        "detail": detail,
    }


def legal_clock(item, now=None):
    """{"state", "text"} of the legal 30-day answer deadline of ``item``."""
    now = now or timezone.now()
    if item.is_anonymous:
        return {
            "state": NONE,
            "text": _("None: anonymous reports have no legal answer deadline."),
        }
    if item.legal_due_at is None and not is_reachable(item):
        return {
            "state": NONE,
            "text": _(
                "None: no phone number or e-mail address was given, so the "
                "citizen cannot be answered and there is no legal answer "
                "deadline."
            ),
        }
    if item.legal_due_at is None:
        return {"state": NONE, "text": _("Not set.")}
    due = datetime_text(item.legal_due_at)
    if item.answered_at is not None:
        text = _("Answered %(answered)s (deadline %(due)s).") % {
            "answered": datetime_text(item.answered_at),
            "due": due,
        }
        return {"state": STOPPED, "text": text}
    if item.legal_due_at <= now:
        return {"state": OVERDUE, "text": _("Overdue since %(due)s.") % {"due": due}}
    return {"state": RUNNING, "text": _("Answer due by %(due)s.") % {"due": due}}


# -- people ----------------------------------------------------------------------


def person_text(user):
    """A user as the page names them: full name or user name, and their body."""
    if user is None:
        return ""
    name = user.get_full_name() or user.get_username()
    # No profile raises RelatedObjectDoesNotExist, an AttributeError.
    try:
        body = user.staff.body
    except AttributeError:
        body = None
    return f"{name} ({body.name})" if body is not None else name


def _actor_text(event):
    if event.actor is not None:
        return person_text(event.actor)
    label = event.actor_label or "system"
    if label.startswith("api:"):
        return _("API key %(prefix)s") % {"prefix": label[4:]}
    return str(ACTOR_LABELS.get(label, label))


# -- history ---------------------------------------------------------------------


class _Names:
    """Names of the bodies, departments, categories and crews events mention."""

    def __init__(self, events):
        codes = {"owner": set(), "to": set(), "department": set(), "category": set()}
        crews = set()
        for event in events:
            for values in (event.before or {}, event.after or {}):
                if not isinstance(values, dict):
                    continue
                for key in codes:
                    if isinstance(values.get(key), str):
                        codes[key].add(values[key])
                if isinstance(values.get("crew"), int):
                    crews.add(values["crew"])
        bodies = codes["owner"] | codes["to"]
        self.bodies = dict(
            Body.objects.filter(code__in=bodies).values_list("code", "name")
        )
        self.departments = dict(
            Department.objects.filter(code__in=codes["department"]).values_list(
                "code", "name"
            )
        )
        self.categories = dict(
            Category.objects.filter(code__in=codes["category"]).values_list(
                "code", "name"
            )
        )
        self.crews = dict(Crew.objects.filter(pk__in=crews).values_list("pk", "name"))


def _choice(enum, value):
    try:
        return str(enum(value).label)
    except ValueError:
        return str(value)


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def _value(action, key, value, names):
    """One before/after value in words."""
    if value is None or value == "" or value == []:
        return "—"
    if key == "status":
        return _choice(Status, value)
    if key in ("owner", "to"):
        return names.bodies.get(value, value)
    if key == "department":
        return names.departments.get(value, value)
    if key == "category":
        return names.categories.get(value, value)
    if key == "crew":
        return names.crews.get(value, f"#{value}")
    if key == "channel":
        return _choice(Channel, value)
    if key == "reason" and action == "transfer.propose":
        return _choice(TransferReason, value)
    if key == "reason" and action == "request.reroute":
        return str(REROUTE_REASONS.get(value, value))
    if action == "request.geocode" and key == "level":
        return str(LEVEL_LABELS.get(value, value))
    if action == "request.geocode" and key == "confidence" and _is_number(value):
        # Two decimals in the page's language, as the console and the
        # addresses waiting for a pin show it: "1,00".
        return number_format(value, 2)
    if action == "request.geocode" and key == "location_source":
        from geocoding.models import LocationSource

        if value in ("street", "door"):
            return str(LEVEL_LABELS[value])
        return _choice(LocationSource, value)
    if key == "fields" and isinstance(value, list):
        return ", ".join(str(CONTACT_FIELDS.get(v, v)) for v in value)
    if key == "location" and isinstance(value, list) and len(value) == 2:
        return coordinates_text(value[0], value[1])
    if key == "due_at" and isinstance(value, str):
        try:
            return datetime_text(dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    if key == "bytes" and isinstance(value, int):
        return filesizeformat(value)
    if key in ("photo", "transfer", "incident"):
        return f"#{value}"
    if key == "flags" and isinstance(value, list):
        return flags_text(value)
    if key == "source":
        return str(SOURCE_LABELS.get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _changes(event, names):
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    # jsonb keeps keys in its own order: show them in the order of KEYS.
    order = {key: index for index, key in enumerate(KEYS)}
    keys = sorted(set(before) | set(after), key=lambda k: (order.get(k, 99), k))
    if event.action == "request.geocode":
        # Stored in English with a code for the API; shown in the page's words.
        from geocoding.match import reason_text

        keys = [k for k in keys if k not in HIDDEN_KEYS]
        after = {
            **after,
            "reason": reason_text(
                after.get("reason_code"),
                after.get("reason_params"),
                fallback=after.get("reason", ""),
            ),
        }
    rows = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        if old in (None, "", []) and new in (None, "", []):
            continue
        rows.append(
            {
                "key": key,
                "label": str(KEYS.get(key, key)),
                "before": _value(event.action, key, old, names)
                if key in before
                else "",
                "after": _value(event.action, key, new, names) if key in after else "",
                "has_before": key in before,
                "has_after": key in after,
            }
        )
    return rows


def history(item):
    """Every event about ``item``, oldest first, in words."""
    events = list(
        Event.objects.filter(object_type=item._meta.label_lower, object_id=str(item.pk))
        .select_related("actor", "actor__staff__body")
        .order_by("at", "id")
    )
    names = _Names(events)
    return [
        {
            "id": event.pk,
            "at": datetime_text(event.at),
            "who": _actor_text(event),
            "action": event.action,
            "label": str(ACTIONS.get(event.action, event.action)),
            "changes": _changes(event, names),
        }
        for event in events
    ]


# -- transfers -------------------------------------------------------------------


def transfer_rows(item):
    """The request's transfers, oldest first, with their answer."""
    transfers = item.transfers.select_related(
        "from_body",
        "to_body",
        "settled_to",
        "proposed_by__staff__body",
        "answered_by__staff__body",
        "settled_by__staff__body",
    ).order_by("proposed_at", "id")
    return [
        {
            "transfer": transfer,
            "reason": _choice(TransferReason, transfer.reason),
            "state": _choice(TransferState, transfer.state),
            "is_pending": transfer.state == TransferState.PENDING,
            "proposed_by": person_text(transfer.proposed_by),
            "proposed_at": datetime_text(transfer.proposed_at),
            "answer_due_at": datetime_text(transfer.answer_due_at),
            "answered_by": person_text(transfer.answered_by),
            "answered_at": datetime_text(transfer.answered_at)
            if transfer.answered_at
            else "",
            "settled_by": person_text(transfer.settled_by),
            "settled_at": datetime_text(transfer.settled_at)
            if transfer.settled_at
            else "",
        }
        for transfer in transfers
    ]


def coordinates_text(lon, lat):
    """``enlem 36.20210, boylam 36.16030`` (named: in Hatay both are ≈ 36)."""
    return _("latitude %(lat).6f, longitude %(lon).6f") % {"lat": lat, "lon": lon}
