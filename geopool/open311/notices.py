"""The ``service_notice`` of a request: what happens next, in both languages.

``routing_rules.decide`` builds the emergency part when it routes a request
(an emergency category tells the caller which line to call); a retried post
and every GET rebuild it from the category with the same function. A
request whose address could not be placed with confidence also says that an
operator will set its location before it is routed to its owner.
"""

from routing_rules.explain import emergency_notice

NEEDS_LOCATION_NOTICE = (
    "Adres haritada güvenle bulunamadı; bir operatör konumu işaretleyince "
    "talep sorumlu kuruma yönlendirilecek. "
    "The address could not be placed on the map with confidence; an operator "
    "will set the location, then the request is routed to its owner."
)


def service_notice(request, routed_notice=None):
    """The notice for ``request``; ``routed_notice`` is a fresh decision's."""
    if routed_notice is None:
        routed_notice = emergency_notice(request.category)
    parts = [routed_notice] if routed_notice else []
    if request.needs_location:
        parts.append(NEEDS_LOCATION_NOTICE)
    return " ".join(parts)


__all__ = ["service_notice", "NEEDS_LOCATION_NOTICE"]
