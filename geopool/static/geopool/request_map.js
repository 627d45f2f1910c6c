/*
 * The small map on a request's page (templates/requestpages/_map.html):
 * the request's point, the feature that decided its owner (drawn when its
 * outline is stored) and the open requests nearby. Data comes from the
 * page as JSON (json_script); text goes into tooltips as text, never HTML.
 */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("request-map-data").textContent);
  var map = L.map("request-map", { zoomSnap: 0.5, maxZoom: 19 });
  // A view before any layer is added: Leaflet's vector renderer needs one.
  map.setView([data.lat, data.lon], 16);
  window.geopoolRequestMap = map;

  if (data.tile_url) {
    L.tileLayer(data.tile_url, { attribution: data.tile_attribution, maxZoom: 19 }).addTo(
      map
    );
  }

  function tip(words) {
    var node = document.createElement("span");
    node.textContent = words;
    return node;
  }

  var bounds = L.latLngBounds([[data.lat, data.lon]]);
  if (data.deciding && data.deciding.geometry) {
    var shape = L.geoJSON(data.deciding.geometry, {
      style: { color: "#6f42c1", weight: 4, fillOpacity: data.deciding.covers ? 0.05 : 0.2 },
    })
      .bindTooltip(tip(data.deciding.layer_title + ": " + data.deciding.feature))
      .addTo(map);
    if (!data.deciding.covers) {
      bounds.extend(shape.getBounds());
    }
  }
  data.nearby.forEach(function (row) {
    L.circleMarker([row.lat, row.lon], { radius: 5, color: "#fd7e14", fillOpacity: 0.7 })
      .bindTooltip(tip(row.tracking_code + " · " + row.category))
      .addTo(map);
    bounds.extend([row.lat, row.lon]);
  });
  L.circleMarker([data.lat, data.lon], {
    radius: 8,
    color: "#dc3545",
    fillColor: "#dc3545",
    fillOpacity: 0.9,
  })
    .bindTooltip(tip(data.code))
    .addTo(map);
  map.fitBounds(bounds.pad(0.2), { maxZoom: 17 });
  document.documentElement.dataset.requestMapReady = "1";
})();
