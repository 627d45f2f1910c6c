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

__all__ = [
    "ApiKey",
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
