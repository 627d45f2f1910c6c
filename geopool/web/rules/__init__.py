"""The coordinator's rule pages, under ``/rules/``.

Rule sets are listed with their state (active, draft, retired); a rule set's
page shows its rules by stage and group, its delegations and what
``rule_set_check`` finds. Coordinators (and administrators) make a draft
from the active set, edit its rules and delegations (every save is checked
by ``routing_rules.services.rule_sets``, which refuses with the problems it
found), simulate it over recent requests and activate it. Every staff member
may read rule sets and test one point against any of them. Nothing on these
pages routes a request: testing and simulating use the chosen set's own
routing context, live routing changes only on activation.
"""
