"""The planners' pages: layers, their generations, and the layer upload.

A planner uploads a file (``views.upload``), answers what the file leaves
open — which layer inside it, its CRS, its text encoding (``views.source``)
— maps its fields to the layer's (``views.mapping``), looks at a dry run's
checks and impact (``views.check``) and stores a draft. The draft's preview
(``views.generation``) draws it beside the active generation; activating,
rolling back and discarding are POSTs (``views.actions``). Every step calls
the import service (``boundaries.importing``) and shows its refusals on the
page. Open to the planner role and superusers (``access``).
"""
