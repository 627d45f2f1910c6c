"""Pages for citizens: the request form and tracking pages (no log-in)."""

urlpatterns = []
