"""The service discovery document (``GET discovery.json``).

Everything specific to the deployment comes from the loaded jurisdiction
(its name, ``call_centre_label`` and pool coordinator), never from code, so
another province's pack gets its own text. ``changeset`` is when the pack
was last loaded: that is when services and routing last changed. The
endpoint URL is built from the incoming request, so it is right behind any
host name or proxy that Django is told about.
"""

from django.urls import reverse

from geopool.models import Body, Department, Jurisdiction
from geopool.open311.errors import NotConfigured
from geopool.open311.messages import NOT_CONFIGURED
from geopool.open311.serializers import local_iso
from routing_rules.decide import owner_label

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ["text/xml", "application/json"]
KEY_SERVICE = (
    "API keys are issued by the pool coordinator ({coordinator}): an "
    "administrator runs `manage.py create_api_key NAME --body BODY_CODE` and "
    "hands the key over once. Reading needs no key; posting requests does."
)


def _jurisdiction():
    jurisdiction = Jurisdiction.objects.order_by("id").first()
    if jurisdiction is None:
        raise NotConfigured(
            NOT_CONFIGURED.format(reason="no jurisdiction pack is loaded")
        )
    return jurisdiction


def contact_text(jurisdiction):
    """``"<call-centre label> — <name>"``, or the name alone without a label."""
    label = jurisdiction.settings.get("call_centre_label")
    return f"{label} — {jurisdiction.name}" if label else jurisdiction.name


def coordinator_text(jurisdiction):
    settings = jurisdiction.settings
    body = Body.objects.filter(code=settings.get("coordinator_body")).first()
    if body is None:
        return jurisdiction.name
    department = Department.objects.filter(
        code=settings.get("coordinator_department")
    ).first()
    return owner_label(body, department)


def v2_url(request):
    """Absolute base URL of the v2 endpoints, e.g. ``https://host/open311/v2``."""
    # DRF reverses suffixed routes with a trailing slash ("services.json/").
    services = reverse("open311:services", kwargs={"format": "json"}).rstrip("/")
    # Clients append "/services.json" themselves, so drop that last segment.
    return request.build_absolute_uri(services.rsplit("/", 1)[0])


def discovery_document(request):
    jurisdiction = _jurisdiction()
    changeset = local_iso(jurisdiction.loaded_at)
    return {
        "changeset": changeset,
        "contact": contact_text(jurisdiction),
        "key_service": KEY_SERVICE.format(coordinator=coordinator_text(jurisdiction)),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": v2_url(request),
                "changeset": changeset,
                "type": "production",
                "formats": list(FORMATS),
            }
        ],
    }
