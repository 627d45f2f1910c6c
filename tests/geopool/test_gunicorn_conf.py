"""The access log keeps query strings and referrers out (gunicorn.conf.py)."""

import datetime as dt
import runpy
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config
from gunicorn.glogging import Logger

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_an_access_log_line_has_no_query_string_and_no_referrer():
    settings = runpy.run_path(str(CONF))
    config = Config()
    config.set("access_log_format", settings["access_log_format"])
    request = SimpleNamespace(
        method="GET",
        path="/api/nearby",
        query="lon=36.16&lat=36.2&api_key=gp_1a2b3c4d_secret",
        uri="/api/nearby?lon=36.16&lat=36.2&api_key=gp_1a2b3c4d_secret",
        version=(1, 1),
        headers=[
            ("REFERER", "https://geopool.intranet/search/?phone=05321234517"),
            ("USER-AGENT", "crew-phone"),
        ],
    )
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    environ = {
        "REMOTE_ADDR": "10.0.0.7",
        "REQUEST_METHOD": "GET",
        "RAW_URI": request.uri,
        "PATH_INFO": request.path,
        "QUERY_STRING": request.query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": request.headers[0][1],
        "HTTP_USER_AGENT": "crew-phone",
    }
    atoms = Logger(config).atoms(response, request, environ, dt.timedelta(0))
    line = config.access_log_format % atoms

    assert '"GET /api/nearby HTTP/1.1" 200 512 "crew-phone"' in line
    assert "secret" not in line and "0532" not in line and "lon=" not in line
