// The public request form: a pin on a Leaflet map fills the coordinate
// boxes (and typed coordinates move the pin), the district outlines come
// from geopool's own layer API, and the contact boxes follow the
// "anonymous" tick. Everything is served by geopool: no CDN, no tiles
// unless GEOPOOL_TILE_URL names a tile server.
(function () {
  "use strict";

  var box = document.getElementById("pin-map");
  var lat = document.getElementById("id_lat");
  var lon = document.getElementById("id_lon");

  function number(input) {
    // Turkish writes a decimal comma: 36,2021.
    var text = (input.value || "").trim().replace(",", ".");
    var value = parseFloat(text);
    return /^[+-]?\d{1,3}(\.\d+)?$/.test(text) && isFinite(value) ? value : null;
  }

  function startMap() {
    if (!box || !window.L || !lat || !lon) {
      return;
    }
    var map = L.map(box, { zoomControl: true });
    var bounds = (box.dataset.bounds || "").split(",").map(Number);
    if (bounds.length === 4 && bounds.every(isFinite)) {
      map.fitBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]]);
    } else {
      map.setView([0, 0], 2);
    }
    if (box.dataset.tileUrl) {
      L.tileLayer(box.dataset.tileUrl, {
        attribution: box.dataset.tileAttribution || "",
        maxZoom: 19,
      }).addTo(map);
    }
    if (box.dataset.districtsUrl) {
      fetch(box.dataset.districtsUrl, { headers: { Accept: "application/geo+json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data) {
            L.geoJSON(data, {
              interactive: false,
              style: { color: "#0d6efd", weight: 1.5, fillOpacity: 0.04 },
            }).addTo(map);
          }
          box.dataset.districtsReady = "1";
        })
        .catch(function () { box.dataset.districtsReady = "0"; });
    }

    var pin = null;
    function place(latValue, lonValue) {
      var point = [latValue, lonValue];
      if (pin) {
        pin.setLatLng(point);
      } else {
        pin = L.circleMarker(point, {
          radius: 9, color: "#dc3545", weight: 3, fillOpacity: 0.6,
        }).addTo(map);
      }
    }

    map.on("click", function (event) {
      lat.value = event.latlng.lat.toFixed(6);
      lon.value = event.latlng.lng.toFixed(6);
      place(event.latlng.lat, event.latlng.lng);
    });

    function typed() {
      var latValue = number(lat);
      var lonValue = number(lon);
      if (latValue !== null && lonValue !== null) {
        place(latValue, lonValue);
        map.panTo([latValue, lonValue]);
      }
    }
    lat.addEventListener("change", typed);
    lon.addEventListener("change", typed);
    // A refused form comes back with the point the citizen chose.
    if (number(lat) !== null && number(lon) !== null) {
      place(number(lat), number(lon));
      map.setView([number(lat), number(lon)], Math.max(map.getZoom(), 15));
    }

    var locate = document.getElementById("use-my-location");
    if (locate && navigator.geolocation) {
      locate.classList.remove("d-none");
      locate.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (position) {
          lat.value = position.coords.latitude.toFixed(6);
          lon.value = position.coords.longitude.toFixed(6);
          place(position.coords.latitude, position.coords.longitude);
          map.setView([position.coords.latitude, position.coords.longitude], 16);
        });
      });
    }

    window.geopoolPinMap = map;
    box.dataset.ready = "1";
  }

  function followAnonymous() {
    var anonymous = document.getElementById("id_anonymous");
    var fields = document.getElementById("contact-fields");
    if (!anonymous || !fields) {
      return;
    }
    function update() {
      fields.querySelectorAll("input").forEach(function (input) {
        input.disabled = anonymous.checked;
      });
    }
    anonymous.addEventListener("change", update);
    update();
  }

  function followRetention() {
    var select = document.getElementById("id_category");
    var chosen = document.getElementById("kvkk-retention-chosen");
    if (!select || !chosen) {
      return;
    }
    var initial = chosen.textContent;
    function update() {
      var option = select.options[select.selectedIndex];
      var days = option && option.dataset.retentionDays;
      chosen.textContent = days ? days + " gün" : initial;
    }
    select.addEventListener("change", update);
    update();
  }

  startMap();
  followAnonymous();
  followRetention();
})();
