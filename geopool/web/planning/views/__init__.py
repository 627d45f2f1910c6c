"""The planners' views, one module per page or step of the upload."""
