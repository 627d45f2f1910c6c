"""The ``service_notice`` of a request, for answers that have no fresh Outcome.

``routing_rules.decide`` builds the notice when it routes a request (an
emergency category tells the caller which line to call); a retried post and
every GET rebuild it from the category with the same function.
"""

from routing_rules.explain import emergency_notice as service_notice

__all__ = ["service_notice"]
