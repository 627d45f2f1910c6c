from geopool.models.apikeys import ApiKey
from geopool.models.bodies import Body, BodyKind, Department, Jurisdiction, StaffProfile
from geopool.models.catalogue import Category
from geopool.models.events import Event
from geopool.models.requests import (
    Channel,
    Contact,
    LocationSource,
    ServiceRequest,
    Status,
)
from geopool.models.workflow import (
    Answer,
    Crew,
    Incident,
    Note,
    Notification,
    Photo,
    Priority,
    SlaTarget,
    Transfer,
    TransferReason,
    TransferState,
)

__all__ = [
    "Answer",
    "ApiKey",
    "Crew",
    "Incident",
    "Note",
    "Notification",
    "Photo",
    "Priority",
    "SlaTarget",
    "Transfer",
    "TransferReason",
    "TransferState",
    "Body",
    "BodyKind",
    "Category",
    "Channel",
    "Contact",
    "Department",
    "Event",
    "Jurisdiction",
    "LocationSource",
    "ServiceRequest",
    "StaffProfile",
    "Status",
]
