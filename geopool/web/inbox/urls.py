"""Body inboxes, staff search, exports and transfer statistics (``/inbox/``)."""

urlpatterns = []
