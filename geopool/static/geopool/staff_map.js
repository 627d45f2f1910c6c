/*
 * The staff map (/map/): districts coloured by the chosen figure, heat-map
 * bins or clustered markers for the viewport, switchable layers, a legend,
 * the district table and the lists behind a bin or marker.
 *
 * Every number arrives as a JSON number; the page's language formats it
 * for people only (Intl.NumberFormat). Texts from citizens, agencies or
 * layer files are set with textContent, never as HTML; the lists behind a
 * bin come as HTML the server escaped (Django templates).
 *
 * Once the district layer and, unless the page shows districts only, the
 * first bins or markers are drawn, <html data-map-ready="1"> and the
 * performance mark "map-ready" are set (tests and benchmarks wait for it).
 * The district comparison and the totals follow on their own: when they
 * are filled in (or failed), <html data-figures-ready="1"> and the mark
 * "figures-ready".
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("map-config").textContent);
  var T = config.text;
  var lang = document.documentElement.lang || "tr";
  var count = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  var decimal = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
  var percent = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 });
  var R = 6378137;
  var BIN_COLOURS = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];
  var CHOROPLETH = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];
  var MARKER_COLOURS = { open: "#0d6efd", closed: "#6c757d", urgent: "#dc3545" };

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text != null) node.textContent = text;
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function withQuery(url, extra) {
    var params = new URLSearchParams(config.query);
    Object.keys(extra || {}).forEach(function (k) { params.set(k, extra[k]); });
    var qs = params.toString();
    return url + (qs ? "?" + qs : "");
  }

  function getJson(url, signal) {
    return fetch(url, { credentials: "same-origin", signal: signal }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) {
          var errors = body.errors || {};
          throw new Error(Object.keys(errors).map(function (k) { return errors[k]; }).join(" "));
        }
        return body;
      });
    });
  }

  // -- the map ---------------------------------------------------------------
  var map = L.map("staff-map", { maxZoom: config.max_zoom, preferCanvas: true, zoomSnap: 0.5 });
  map.setView([0, 0], 2);
  map.attributionControl.setPrefix(false);
  if (config.tiles.url) {
    var tileAttribution = [config.tiles.attribution, T.osm].filter(Boolean).map(escapeHtml).join(" · ");
    L.tileLayer(config.tiles.url, { maxZoom: config.max_zoom, attribution: tileAttribution }).addTo(map);
  }
  var control = L.control.layers(null, null, { collapsed: window.innerWidth < 768 }).addTo(map);
  var state = document.querySelector("[data-testid=view-state]");
  var listPanel = document.getElementById("map-list");

  var districtLayer = L.geoJSON(null, {
    style: function () { return { color: "#1d4e89", weight: 1.5, fillOpacity: 0.55, fillColor: "#eee" }; },
    onEachFeature: function (feature, layer) {
      layer.bindTooltip(function () { return districtTooltip(feature.properties.code); }, { sticky: true });
    },
  });
  var heatLayer = L.layerGroup();
  var markerLayer = L.markerClusterGroup({ chunkedLoading: true });
  var figuresByCode = {};
  var districtsOn = config.layers.filter(function (l) { return l.code === config.district_layer; })[0];
  if (districtsOn && districtsOn.attribution) {
    districtLayer.getAttribution = function () { return escapeHtml(districtsOn.attribution); };
  }
  districtLayer.addTo(map);
  control.addOverlay(districtLayer, escapeHtml(districtsOn ? districtsOn.title : T.districts));
  control.addOverlay(heatLayer, escapeHtml(T.heat));
  control.addOverlay(markerLayer, escapeHtml(T.markers));
  var pointsOn = config.mode !== "districts";
  if (pointsOn) { heatLayer.addTo(map); markerLayer.addTo(map); }

  // Each further layer its own colour (none of the districts' blue or the
  // bins' reds), shown beside its name in the layer switcher.
  var LAYER_COLOURS = ["#198754", "#d63384", "#fd7e14", "#6f42c1", "#0dcaf0", "#795548", "#6c757d"];
  var further = 0;
  config.layers.forEach(function (layer) {
    if (layer.code === config.district_layer) return;
    var colour = LAYER_COLOURS[further % LAYER_COLOURS.length];
    further += 1;
    var group = L.geoJSON(null, {
      style: function () { return { color: colour, weight: layer.boundary ? 1 : 2, fillOpacity: 0.1 }; },
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 4, color: colour }); },
      onEachFeature: function (feature, l) {
        var p = feature.properties;
        l.bindTooltip(el("span", [p.name, p.code].filter(Boolean).join(" · ")));
      },
    });
    if (layer.attribution) group.getAttribution = function () { return escapeHtml(layer.attribution); };
    var loaded = false;
    group.on("add", function () {
      if (loaded) return;
      loaded = true;
      getJson(config.urls.layer.replace("__code__", encodeURIComponent(layer.code))).then(function (data) {
        group.addData(data);
        if (data.truncated) state.textContent = layer.title + ": " + T.truncated;
      });
    });
    control.addOverlay(
      group,
      '<span class="layer-swatch" data-testid="layer-swatch" style="background:' + colour + '"></span>' +
        escapeHtml(layer.title)
    );
  });

  // -- legend ------------------------------------------------------------------
  var legend = L.control({ position: "bottomright" });
  var legendBox = el("div", null, { class: "map-legend", "data-testid": "legend" });
  legend.onAdd = function () { return legendBox; };
  legend.addTo(map);
  var legendParts = { districts: el("div"), points: el("div") };
  legendBox.appendChild(legendParts.districts);
  legendBox.appendChild(legendParts.points);

  function legendRows(box, title, rows) {
    box.textContent = "";
    box.appendChild(el("strong", title));
    rows.forEach(function (row) {
      var line = el("div");
      var swatch = el("i");
      swatch.style.background = row[0];
      if (row[2]) swatch.style.borderRadius = "50%";
      line.appendChild(swatch);
      line.appendChild(document.createTextNode(row[1]));
      box.appendChild(line);
    });
  }

  // -- districts: choropleth and table ---------------------------------------
  var metricSelect = document.getElementById("choropleth-metric");

  // ``extra`` fraction digits beyond the table's, all shown (but "0" for
  // zero), for a legend whose neighbouring classes would otherwise read the
  // same.
  function metricText(key, value, extra) {
    if (value == null) return "—";
    if (extra && value !== 0) {
      var digits = (key === "sla_share" ? 0 : 2) + extra;
      var options = { minimumFractionDigits: digits, maximumFractionDigits: digits };
      if (key === "sla_share") options.style = "percent";
      if (key === "sla_share" || key === "per_1000" || key === "median_resolve_h") {
        return new Intl.NumberFormat(lang, options).format(value);
      }
    }
    if (key === "sla_share") return percent.format(value);
    if (key === "per_1000" || key === "median_resolve_h") return decimal.format(value);
    return count.format(value);
  }

  function districtTooltip(code) {
    var f = figuresByCode[code];
    if (!f) return el("span", code);
    var box = el("div");
    box.appendChild(el("strong", f.name + " (" + f.code + ")"));
    ["requests", "per_1000", "median_resolve_h", "sla_share", "backlog", "transfers"].forEach(function (key) {
      box.appendChild(el("div", T[key === "requests" ? "requests_metric" : key] + ": " + metricText(key, f[key])));
    });
    return box;
  }

  function classBreaks(values) {
    var sorted = values.filter(function (v) { return v != null; }).sort(function (a, b) { return a - b; });
    if (!sorted.length) return [];
    var breaks = [];
    for (var k = 1; k <= CHOROPLETH.length; k++) {
      breaks.push(sorted[Math.min(sorted.length - 1, Math.ceil((k * sorted.length) / CHOROPLETH.length) - 1)]);
    }
    return breaks;
  }

  // The legend's rows for quantile classes with upper bounds ``breaks``: a
  // class holds the values above the previous bound up to its own, and reads
  // from its lowest value to its highest ("0,04 – 0,12", then "0,15 – 0,39"),
  // or one value when they are the same ("0"). Empty classes (repeated
  // bounds) are left out. Where two neighbouring classes would read the same
  // at the table's precision, every label gets more digits.
  function legendClasses(key, values, breaks) {
    var classes = [];
    breaks.forEach(function (bound, k) {
      var above = k > 0 ? breaks[k - 1] : -Infinity;
      var members = values.filter(function (v) { return v != null && v > above && v <= bound; });
      if (!members.length) return;
      classes.push({
        colour: CHOROPLETH[k],
        low: Math.min.apply(null, members),
        high: Math.max.apply(null, members),
      });
    });
    var extra = 0;
    function clash(c, k) {
      return k > 0 && metricText(key, classes[k - 1].high, extra) === metricText(key, c.low, extra);
    }
    while (extra < 4 && classes.some(clash)) extra++;
    return classes.map(function (c) {
      var low = metricText(key, c.low, extra);
      var high = metricText(key, c.high, extra);
      return [c.colour, low === high ? low : low + " – " + high];
    });
  }

  function colourDistricts() {
    var key = metricSelect.value;
    var figures = Object.keys(figuresByCode).map(function (c) { return figuresByCode[c]; });
    var breaks = classBreaks(figures.map(function (f) { return f[key]; }));
    districtLayer.eachLayer(function (layer) {
      var f = figuresByCode[layer.feature.properties.code];
      var value = f ? f[key] : null;
      var colour = "#f8f9fa";
      if (value != null) {
        for (var k = 0; k < breaks.length; k++) {
          if (value <= breaks[k]) { colour = CHOROPLETH[k]; break; }
        }
      }
      layer.setStyle({ fillColor: colour });
    });
    var rows = legendClasses(key, figures.map(function (f) { return f[key]; }), breaks);
    rows.push(["#f8f9fa", T.no_data]);
    legendRows(legendParts.districts, metricSelect.options[metricSelect.selectedIndex].text, rows);
  }
  metricSelect.addEventListener("change", colourDistricts);

  var table = document.querySelector("[data-testid=district-table]");
  var sortKey = "name";
  var sortDescending = false;
  var COLUMNS = ["requests", "per_1000", "median_resolve_h", "sla_share", "backlog", "transfers"];

  function fillTable() {
    var figures = Object.keys(figuresByCode).map(function (c) { return figuresByCode[c]; });
    figures.sort(function (a, b) {
      var x = a[sortKey], y = b[sortKey];
      if (sortKey === "name") return (sortDescending ? -1 : 1) * x.localeCompare(y, lang);
      if (x == null && y == null) return 0;
      if (x == null) return 1;
      if (y == null) return -1;
      return sortDescending ? y - x : x - y;
    });
    var body = table.tBodies[0];
    body.textContent = "";
    figures.forEach(function (f) {
      var tr = el("tr", null, { "data-code": f.code });
      var name = el("td", f.name);
      var year = f.population_year ? String(f.population_year) : T.year_unknown;
      name.title = f.code + (f.population ? " · " + count.format(f.population) + " (" + year + ")" : "");
      tr.appendChild(name);
      COLUMNS.forEach(function (key) {
        var td = el("td", metricText(key, f[key]), { class: "text-end", "data-key": key });
        td.dataset.value = f[key] == null ? "" : String(f[key]);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    table.querySelectorAll("th[data-sort]").forEach(function (th) {
      th.setAttribute("aria-sort", th.dataset.sort === sortKey ? (sortDescending ? "descending" : "ascending") : "none");
    });
  }
  table.querySelectorAll("th[data-sort]").forEach(function (th) {
    th.addEventListener("click", function () {
      sortDescending = th.dataset.sort === sortKey ? !sortDescending : th.dataset.sort !== "name";
      sortKey = th.dataset.sort;
      fillTable();
    });
  });

  function showPopulationYears(figures) {
    var years = {};
    figures.forEach(function (f) { if (f.population) years[f.population_year || T.year_unknown] = true; });
    var node = document.querySelector("[data-testid=population-year]");
    node.textContent = Object.keys(years).sort().join(", ") || T.no_data;
  }

  function fillTotals(totals) {
    Object.keys(totals).forEach(function (key) {
      var node = document.querySelector("[data-total=" + key + "]");
      if (node) { node.textContent = count.format(totals[key]); node.dataset.value = String(totals[key]); }
    });
  }

  // The comparison figures place every filtered request in its district,
  // which takes seconds over a large pool: the map does not wait for them
  // (loadFigures runs once it is ready). Until they arrive the table says
  // it is loading (aria-busy).
  function showTableState(text) {
    var body = table.tBodies[0];
    body.textContent = "";
    var tr = el("tr", null, { "data-state": "loading" });
    tr.appendChild(el("td", text, { colspan: String(COLUMNS.length + 1), class: "text-muted" }));
    body.appendChild(tr);
  }
  table.setAttribute("aria-busy", "true");
  showTableState(T.loading);

  // The district layer's extent comes with the page: the map takes its
  // first view at once and asks for that view's bins beside the district
  // layer, not after it. Without it, the view follows the layer's outlines.
  var initialBounds = config.bounds ? L.latLngBounds(
    [config.bounds[1], config.bounds[0]], [config.bounds[3], config.bounds[2]]
  ) : null;
  if (initialBounds) map.fitBounds(initialBounds, { animate: false });
  var districtsDrawn = getJson(
    config.urls.layer.replace("__code__", encodeURIComponent(config.district_layer))
  ).catch(function () {
    return { type: "FeatureCollection", features: [] };
  }).then(function (collection) {
    districtLayer.addData(collection);
    var bounds = districtLayer.getBounds();
    if (!initialBounds && bounds.isValid()) map.fitBounds(bounds, { animate: false });
  });

  function loadFigures() {
    return getJson(withQuery(config.urls.districts)).then(function (figures) {
      figures.districts.forEach(function (f) { figuresByCode[f.code] = f; });
      fillTotals(figures.totals);
      showPopulationYears(figures.districts);
      colourDistricts();
      fillTable();
    }).catch(function (error) {
      showTableState(T.failed + error.message);
    }).then(function () {
      table.removeAttribute("aria-busy");
      document.documentElement.dataset.figuresReady = "1";
      performance.mark("figures-ready");
    });
  }

  // -- bins and markers for the viewport ---------------------------------------
  function lng(x) { return (x / R) * 180 / Math.PI; }
  function lat(y) { return (2 * Math.atan(Math.exp(y / R)) - Math.PI / 2) * 180 / Math.PI; }
  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }

  function drawBins(data) {
    heatLayer.clearLayers();
    markerLayer.clearLayers();
    var size = data.size_m, i0 = data.origin[0], j0 = data.origin[1];
    var levels = Math.log(data.max + 1);
    data.bins.forEach(function (bin) {
      var i = i0 + bin[0], j = j0 + bin[1], n = bin[2];
      var k = Math.min(BIN_COLOURS.length - 1, Math.floor((Math.log(n + 1) / levels) * BIN_COLOURS.length));
      var rect = L.rectangle(
        [[lat(j * size), lng(i * size)], [lat((j + 1) * size), lng((i + 1) * size)]],
        { stroke: false, fillColor: BIN_COLOURS[k], fillOpacity: 0.7 }
      );
      rect.bindTooltip(count.format(n) + " " + T.requests);
      rect.on("click", function () { showList({ zoom: data.zoom, cell: i + "," + j }); });
      heatLayer.addLayer(rect);
    });
    var rows = [];
    for (var k = 0; k < BIN_COLOURS.length; k++) {
      var from = Math.max(1, Math.ceil(Math.exp((k * levels) / BIN_COLOURS.length) - 1));
      var to = Math.floor(Math.exp(((k + 1) * levels) / BIN_COLOURS.length) - 1);
      if (k === BIN_COLOURS.length - 1) to = data.max;
      if (to >= from) rows.push([BIN_COLOURS[k], count.format(from) + (to > from ? " – " + count.format(to) : "")]);
    }
    legendRows(legendParts.points, T.bins_legend, rows);
  }

  function drawMarkers(data) {
    heatLayer.clearLayers();
    markerLayer.clearLayers();
    var closed = {};
    data.closed_statuses.forEach(function (s) { closed[s] = true; });
    var markers = data.markers.map(function (m) {
      var colour = m[5] ? MARKER_COLOURS.urgent : closed[m[4]] ? MARKER_COLOURS.closed : MARKER_COLOURS.open;
      var marker = L.circleMarker([m[0], m[1]], { radius: 6, weight: 2, color: colour, fillOpacity: 0.6 });
      marker.bindPopup(function () {
        var box = el("div", null, { class: "request-popup" });
        box.appendChild(el("strong", data.categories[m[3]]));
        box.appendChild(document.createTextNode(" "));
        box.appendChild(el("small", m[2]));
        box.appendChild(el("div", data.statuses[m[4]]));
        box.appendChild(el("a", T.open, { href: "/requests/" + encodeURIComponent(m[2]) + "/" }));
        return box;
      });
      marker.on("click", function () { showList({ code: m[2] }); });
      return marker;
    });
    markerLayer.addLayers(markers);
    legendRows(legendParts.points, T.markers_legend, [
      [MARKER_COLOURS.open, T.open_label, true],
      [MARKER_COLOURS.closed, T.closed_label, true],
      [MARKER_COLOURS.urgent, T.urgent_label, true],
    ]);
  }

  var pending = null;
  function loadView() {
    if (!map.hasLayer(heatLayer) && !map.hasLayer(markerLayer)) return Promise.resolve();
    if (pending) pending.abort();
    pending = new AbortController();
    var b = map.getBounds();
    var bbox = [
      clamp(b.getWest(), -180, 179.9999), clamp(b.getSouth(), -85.05, 85.04),
      clamp(b.getEast(), -179.9999, 180), clamp(b.getNorth(), -85.04, 85.05),
    ].map(function (v) { return v.toFixed(6); }).join(",");
    var zoom = clamp(Math.round(map.getZoom()), 0, 20);
    state.textContent = T.loading;
    return getJson(withQuery(config.urls.view, { bbox: bbox, zoom: zoom }), pending.signal).then(function (data) {
      if (data.mode === "bins") drawBins(data); else drawMarkers(data);
      state.textContent = count.format(data.total) + " " + T.requests + " · " +
        (data.mode === "bins" ? T.heat : T.markers);
      state.dataset.mode = data.mode;
      state.dataset.total = String(data.total);
      state.dataset.zoom = String(data.zoom);
    }).catch(function (error) {
      if (error.name !== "AbortError") state.textContent = T.failed + error.message;
    });
  }

  var moveTimer = null;
  map.on("moveend", function () {
    clearTimeout(moveTimer);
    moveTimer = setTimeout(loadView, 200);
  });
  map.on("overlayadd", function (e) {
    if (e.layer === heatLayer || e.layer === markerLayer) loadView();
  });

  // -- lists behind a bin, a marker, the unmappable ones -------------------------
  function loadList(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      // Server-rendered fragment: every request text in it is escaped.
      listPanel.innerHTML = html;
      listPanel.querySelectorAll("a[data-list-page]").forEach(function (a) {
        a.addEventListener("click", function (event) {
          event.preventDefault();
          loadList(new URL(a.getAttribute("href"), new URL(config.urls.requests, location.href)).href);
        });
      });
    });
  }
  function showList(params) { return loadList(withQuery(config.urls.requests, params)); }
  document.querySelector("[data-action=list-unmapped]").addEventListener("click", function (event) {
    event.preventDefault();
    showList({ unmapped: "1" });
  });

  // For the browser tests and for staff debugging in the console.
  window.staffMap = { map: map, districts: districtLayer, bins: heatLayer, markers: markerLayer };

  var firstView = initialBounds && pointsOn ? loadView() : null;
  districtsDrawn.then(function () {
    if (initialBounds) return firstView;
    clearTimeout(moveTimer);
    return pointsOn ? loadView() : null;
  }).catch(function (error) {
    state.textContent = T.failed + error.message;
  }).then(function () {
    document.documentElement.dataset.mapReady = "1";
    performance.mark("map-ready");
    // Asked for only now, so that the bins on screen do not share the
    // server with the heavier figures.
    return loadFigures();
  });
})();
