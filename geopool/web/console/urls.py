"""The call-centre operator's console (``/console/``)."""

urlpatterns = []
