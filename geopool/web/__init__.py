"""geopool's staff web pages: log-in, and the district map of requests."""
