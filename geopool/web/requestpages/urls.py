"""One request's staff page and the actions on it (``/requests/<code>/``)."""

urlpatterns = []
