"""The staff map: filters, heat-map bins, markers and district figures."""
