"""Log-in: each role starts on its own page.

After logging in without a ``?next=`` (or with one that is not safe), a
user lands where their work is: a field crew on ``/crew/``, an operator on
the console, a planner on the layers, a body's staff on the inbox, a
coordinator on the triage queue, an administrator on ``/admin/``. A user
with several roles starts on the first of ``START_PAGES`` they hold; one
with none (a superuser without a role) on the map.
"""

from urllib.parse import urlsplit

from django.contrib.auth import views as auth_views
from django.urls import reverse

from geopool.roles import (
    ADMINISTRATOR,
    BODY_MANAGER,
    BODY_STAFF,
    COORDINATOR,
    FIELD_CREW,
    OPERATOR,
    PLANNER,
)

# (role, URL name), most specific first.
START_PAGES = [
    (ADMINISTRATOR, "admin:index"),
    (COORDINATOR, "triage"),
    (OPERATOR, "console:console"),
    (PLANNER, "planning:layers"),
    (BODY_MANAGER, "inbox"),
    (BODY_STAFF, "inbox"),
    (FIELD_CREW, "crew:page"),
]
DEFAULT_START_PAGE = "map"


def start_page(user):
    """Return the path ``user`` starts on after logging in."""
    # The groups themselves, not has_role, which grants a superuser every
    # role: a superuser without one starts on the map.
    roles = set(user.groups.values_list("name", flat=True))
    for role, url_name in START_PAGES:
        if role in roles:
            return reverse(url_name)
    return reverse(DEFAULT_START_PAGE)


class StartPageLoginView(auth_views.LoginView):
    """Django's log-in; without a safe ``next`` it goes to the role's page."""

    redirect_authenticated_user = True

    def get_redirect_url(self):
        """The safe ``next``, unless it leads back to this page (a loop)."""
        url = super().get_redirect_url()
        return "" if url and urlsplit(url).path == self.request.path else url

    def get_default_redirect_url(self):
        return start_page(self.request.user)
