"""Who may open a request's page and which of its actions they may use.

The page is found only through ``requests_visible_to``: a tracking code the
user may not see answers 404, exactly like a code that does not exist, so
codes cannot be probed. Each action then needs a Django permission (through
the user's role, ``geopool.roles``) and a place: staff of the owning body
or a pool coordinator, or for answering a transfer, staff of the body it is
offered to. The services check the place again under the row lock; these
checks decide which forms the page shows and refuse forged posts.
"""

from django.http import Http404

from geopool.roles import OPERATOR, can, has_role
from geopool.services.personal_data import may_reveal
from geopool.services.workflow import FINISHED, is_coordinator
from geopool.tracking import tracking_code_normalize
from geopool.visibility import requests_visible_to


def visible_request(user, code):
    """The request with tracking code ``code`` if ``user`` may see it; else 404."""
    code = tracking_code_normalize(code) or code
    found = (
        requests_visible_to(user)
        .select_related(
            "category",
            "owner_body",
            "owner_department",
            "assigned_crew",
            "created_by",
        )
        .filter(tracking_code=code)
        .first()
    )
    if found is None:
        raise Http404("no such request")
    return found


def body_id_of(user):
    profile = getattr(user, "staff", None)
    return profile.body_id if profile else None


def is_owner_staff(user, item):
    """Staff of the body that owns ``item`` now, or a pool coordinator."""
    return is_coordinator(user) or (
        body_id_of(user) is not None and body_id_of(user) == item.owner_body_id
    )


def may_work(user, item):
    """Change the status, answer, add notes and photos."""
    return can(user, "work_request") and is_owner_staff(user, item)


def may_assign(user, item):
    return can(user, "assign_request") and is_owner_staff(user, item)


def may_propose_transfer(user, item):
    """Propose a transfer, or withdraw one: the owner's staff, coordinators."""
    return can(user, "transfer_request") and is_owner_staff(user, item)


def can_transfer(user):
    return can(user, "transfer_request")


def may_answer_transfer(user, transfer):
    """The body the transfer is offered to (or a coordinator) answers it.

    Whether it still waits for an answer is the service's to say, under
    the lock: the user who comes second learns it was already answered.
    """
    return can_transfer(user) and (
        is_coordinator(user) or body_id_of(user) == transfer.to_body_id
    )


def may_coordinate(user):
    """Assign to any body and route again: pool coordinators."""
    return is_coordinator(user)


def may_change(user, item):
    """Correct the category or the pin: operators, coordinators, owner staff."""
    return (
        has_role(user, OPERATOR)
        or is_coordinator(user)
        or (can(user, "work_request") and is_owner_staff(user, item))
    )


def may_show_contact(user, item):
    return can(user, "view_contact") and may_reveal(user, item)


def is_finished(item):
    return item.status in FINISHED
