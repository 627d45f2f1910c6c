"""gunicorn's settings for geopool, read from the working directory.

``scripts/demo`` and the benchmarks start gunicorn from the repository's
root, where gunicorn finds this file by itself; a deployment that starts it
elsewhere passes ``--config path/to/gunicorn.conf.py``.

The access log records the path without its query string, and no referrer:
a query can carry an API key (``?api_key=``, allowed for quick tests), a
caller's phone number (the staff search) or coordinates, and a referrer
is the previous page's address with its query. Neither belongs in a log
that many people read and that is kept for long.
"""

access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'
