"""Driving Debian's Chromium with no internet, for the browser tests.

Playwright's Python package drives ``/usr/bin/chromium`` (never a browser
build Playwright downloads) against pytest-django's live server. Every
request to another host is aborted and recorded in ``blocked``, so a page
that still needs a CDN fails its test instead of quietly loading one.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
# Where (lat, lon) of the operator console's map is on the screen, for a
# real mouse click.
CONSOLE_SCREEN_POINT = """
([lat, lon]) => {
    const map = window.geopoolConsoleMap;
    const point = map.latLngToContainerPoint([lat, lon]);
    const box = map.getContainer().getBoundingClientRect();
    return [box.left + point.x, box.top + point.y];
}
"""


@dataclass
class OfflinePage:
    page: object  # playwright.sync_api.Page
    blocked: list = field(default_factory=list)  # URLs of other hosts
    dialogs: list = field(default_factory=list)  # alert() and the like
    errors: list = field(default_factory=list)  # uncaught JavaScript errors
    no_coverage: bool = False  # set by set_coverage(False)

    def set_coverage(self, online):
        """Cut or restore the phone's connection.

        Playwright's offline emulation sets ``navigator.onLine`` and fails
        the page's requests, but it is not guaranteed to hold across a
        reload, so requests to the live server are also refused here while
        there is no coverage: nothing reaches the server in a dead zone.
        """
        self.no_coverage = not online
        self.page.context.set_offline(not online)

    def screenshot(self, name):
        """Save a full-page screenshot as ``test-artifacts/<name>``."""
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=ARTIFACTS / name, full_page=True)


@contextmanager
def offline_page(live_server, width=1400, height=900):
    """Yield an OfflinePage whose browser reaches ``live_server`` only."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            locale="tr-TR", viewport={"width": width, "height": height}
        )
        offline = OfflinePage(context.new_page())

        def only_live_server(route):
            if route.request.url.startswith(live_server.url):
                if offline.no_coverage:
                    route.abort("internetdisconnected")
                else:
                    route.continue_()
            else:
                offline.blocked.append(route.request.url)
                route.abort()

        # On the context, not the page: a page's routes miss the requests its
        # service worker makes, and the crew page's worker fetches for it.
        context.route("**/*", only_live_server)
        # A change the browser sends in a dead zone all the same (Chromium's
        # offline emulation does not always cover a page its service worker
        # controls) never reaches geopool: the server answers it as an
        # unreachable one would, 503, and the page keeps it queued.
        handler_call = WSGIHandler.__call__

        def dead_zone(handler, environ, start_response):
            if offline.no_coverage and environ["REQUEST_METHOD"] != "GET":
                start_response(
                    "503 Service Unavailable", [("Content-Type", "text/plain")]
                )
                return [b"no coverage"]
            return handler_call(handler, environ, start_response)

        WSGIHandler.__call__ = dead_zone
        offline.page.on(
            "dialog", lambda dialog: (offline.dialogs.append(dialog), dialog.dismiss())
        )
        offline.page.on("pageerror", lambda error: offline.errors.append(str(error)))
        try:
            yield offline
        finally:
            WSGIHandler.__call__ = handler_call
            browser.close()


def log_in(page, user):
    """Fill the log-in form the page was sent to with ``user``'s password."""
    assert "/login/" in page.url, page.url
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", user.raw_password)
    page.click("form button.btn-primary")
