/*
 * The operator console's map and live preview (templates/console/console.html).
 *
 * Clicking the map (or typing coordinates) fills the form's latitude and
 * longitude; as soon as a category and a point are known the page asks
 * /api/route (the routing decision) and /console/nearby (open requests of
 * the same category nearby) and shows both, with the emergency line in red.
 * Nothing is saved until the operator presses a button: the form posts as
 * it would without this script, which only adds the map, the live preview,
 * the category search and the caller's phone and T.C. kimlik no checked as
 * typed (contact_checks.js, the server's rules). All text from the server
 * goes in as text (textContent), never as HTML.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("console-config").textContent);
  var text = config.text;
  var form = document.getElementById("call-form");
  var category = form.elements.category;
  var lonInput = form.elements.lon;
  var latInput = form.elements.lat;
  var preview = document.getElementById("preview");
  var sequence = 0;
  var timer = null;

  // Two decimals in the page's language ("1,00" in Turkish), as the pages
  // that list addresses waiting for a pin write a reading's confidence.
  var confidence = new Intl.NumberFormat(document.documentElement.lang || "tr", {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });
  var format = window.geopoolDom.format;
  var element = window.geopoolDom.element;

  // Turkish-aware folding for the category search: "Çöp" matches "cop".
  function fold(value) {
    return value
      .toLocaleLowerCase("tr")
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/ı/g, "i");
  }

  function degrees(input) {
    var raw = input.value.trim().replace(/\s/g, "").replace(",", ".");
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(raw)) {
      return null;
    }
    return parseFloat(raw);
  }

  function point() {
    var lon = degrees(lonInput);
    var lat = degrees(latInput);
    if (lon === null || lat === null || Math.abs(lon) > 180 || Math.abs(lat) > 90) {
      return null;
    }
    return { lon: lon, lat: lat };
  }

  // -- category search -------------------------------------------------------

  var search = document.getElementById("category-search");
  search.hidden = false;
  search.addEventListener("input", function () {
    var words = fold(search.value).split(/\s+/).filter(Boolean);
    Array.prototype.forEach.call(category.options, function (option) {
      if (!option.value) {
        return;
      }
      var haystack = fold(option.text + " " + (option.dataset.search || ""));
      option.hidden = !words.every(function (word) {
        return haystack.indexOf(word) !== -1;
      });
    });
    Array.prototype.forEach.call(category.querySelectorAll("optgroup"), function (group) {
      group.hidden = !group.querySelector("option:not([hidden])");
    });
    // One category left: it is the one meant, so the select shows it (and
    // the preview follows) without a further click.
    var left = category.querySelectorAll("option:not([hidden]):not([value=''])");
    if (words.length && left.length === 1 && category.value !== left[0].value) {
      category.value = left[0].value;
      category.dispatchEvent(new Event("change"));
    }
  });
  search.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") {
      return;
    }
    // Enter picks the first match instead of submitting the form.
    event.preventDefault();
    var first = category.querySelector("option:not([hidden]):not([value=''])");
    if (first) {
      category.value = first.value;
      category.dispatchEvent(new Event("change"));
      category.focus();
    }
  });

  // -- anonymous calls -------------------------------------------------------

  var anonymous = form.elements.is_anonymous;
  var contact = document.getElementById("contact-fields");
  function anonymousChanged() {
    contact.querySelectorAll("input").forEach(function (input) {
      input.disabled = anonymous.checked;
    });
    contact.classList.toggle("opacity-50", anonymous.checked);
  }
  anonymous.addEventListener("change", anonymousChanged);
  anonymousChanged();

  // -- the caller's phone and T.C. kimlik no, checked as typed ---------------
  // The server's rules and messages (contact_checks.js). A number still
  // being typed is not judged too short until the operator leaves the field
  // (or the server judged it); from then on every key checks it again, so
  // the message follows the corrections and goes when the number is right.
  // A wrong character, first digit or check digit shows at once.

  function contactCheck(input, check) {
    var wrapper = input.closest(".mb-3") || input.parentNode;
    // An error the server gave on the last post: judge the field in full.
    var judged = Boolean(wrapper.querySelector("[data-testid=field-error]"));

    function render(found) {
      wrapper.querySelectorAll("[data-testid=field-error]").forEach(function (old) {
        old.remove();
      });
      input.classList.toggle("is-invalid", Boolean(found));
      input.setAttribute("aria-invalid", found ? "true" : "false");
      if (found) {
        wrapper.appendChild(element("div", {
          class: "invalid-feedback d-block",
          "data-testid": "field-error",
          "data-live": "1",
        }, [format(config.contactErrors[found.code] || "", found.params)]));
      }
    }

    function run(leaving) {
      var value = input.value;
      if (input.disabled || !value.trim()) {
        // Nothing to check (an empty field is allowed): start afresh.
        judged = false;
        render(null);
        return;
      }
      var found = check(value);
      var tooShort = found !== null && /_length$/.test(found.code);
      judged = judged || leaving;
      render(found && (judged || !tooShort) ? found : null);
    }

    input.addEventListener("input", function () {
      run(false);
    });
    input.addEventListener("blur", function () {
      run(true);
    });
    anonymous.addEventListener("change", function () {
      run(false);
    });
  }

  var contactChecks = window.geopoolContactChecks;
  if (contactChecks) {
    contactCheck(form.elements.phone, contactChecks.phoneError);
    contactCheck(form.elements.tc_kimlik_no, contactChecks.tcKimlikError);
  }

  // -- the map ---------------------------------------------------------------

  var map = L.map("console-map", { zoomSnap: 0.5, maxZoom: 19 });
  map.setView([0, 0], 2);
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, {
      attribution: config.tileAttribution,
      maxZoom: 19,
    }).addTo(map);
  }
  var marker = null;
  // For the browser tests, which click at a known place.
  window.geopoolConsoleMap = map;

  function placeMarker(where, pan) {
    var latlng = [where.lat, where.lon];
    if (marker) {
      marker.setLatLng(latlng);
    } else {
      marker = L.circleMarker(latlng, {
        radius: 8,
        color: "#dc3545",
        fillOpacity: 0.7,
      }).addTo(map);
    }
    if (pan) {
      map.setView(latlng, Math.max(map.getZoom(), 15));
    }
  }

  if (config.districtsUrl) {
    fetch(config.districtsUrl, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (collection) {
        if (!collection) {
          return;
        }
        var districts = L.geoJSON(collection, {
          style: { color: "#6c757d", weight: 1, fillOpacity: 0.04 },
          onEachFeature: function (feature, layer) {
            var name = feature.properties.name || "";
            layer.bindTooltip(element("span", {}, [name]), { sticky: true });
          },
        }).addTo(map);
        if (!point() && districts.getBounds().isValid()) {
          map.fitBounds(districts.getBounds());
        }
        document.documentElement.dataset.districtsReady = "1";
      })
      .catch(function () {
        /* The map still takes clicks without the districts. */
      });
  }

  map.on("click", function (event) {
    lonInput.value = event.latlng.lng.toFixed(6);
    latInput.value = event.latlng.lat.toFixed(6);
    placeMarker({ lon: event.latlng.lng, lat: event.latlng.lat }, false);
    update();
  });

  // -- the preview -----------------------------------------------------------

  function selectedData(name) {
    var option = category.options[category.selectedIndex];
    return option ? option.dataset[name] || "" : "";
  }

  function decisionPart(decision) {
    var parts = [];
    // One line for the operator: the API's service_notice says the same to
    // a citizen (in both languages, for Open311 clients).
    var phone = selectedData("emergencyPhone");
    if (decision.urgent && phone) {
      parts.push(
        element("div", {
          class: "alert alert-danger console-emergency",
          role: "alert",
          "data-testid": "emergency",
        }, [
          element("div", { class: "line" }, [format(text.emergency, { phone: phone })]),
        ])
      );
    }
    var owner = decision.owner.name;
    if (decision.owner.department_name) {
      owner += " — " + decision.owner.department_name;
    }
    var english = document.documentElement.lang.indexOf("en") === 0;
    var rows = [
      row(text.owner, owner, { "data-testid": "owner", "data-owner": decision.owner.body }),
    ];
    if (decision.district) {
      rows.push(row(text.district, decision.district.name, { "data-testid": "district" }));
    }
    rows.push(row(
      text.explanation,
      english ? decision.explanation.en : decision.explanation.tr,
      { "data-testid": "explanation" }
    ));
    parts.push(element("table", { class: "table table-sm mb-2", "data-testid": "decision" }, [
      element("tbody", {}, rows),
    ]));
    if (decision.triage) {
      parts.push(element("div", { class: "alert alert-warning py-2", "data-testid": "triage" }, [
        text.triage,
      ]));
    }
    return parts;
  }

  function row(label, value, attributes) {
    return element("tr", {}, [
      element("th", { scope: "row", class: "w-25" }, [label]),
      element("td", attributes, [value]),
    ]);
  }

  function nearbyPart(nearby) {
    var radius = nearby.radius_m;
    if (!radius) {
      return [element("p", { class: "text-muted small", "data-testid": "nearby-off" }, [
        text.nearbyOff,
      ])];
    }
    if (!nearby.requests.length) {
      return [element("p", { class: "text-muted small", "data-testid": "nearby-none" }, [
        format(text.nearbyNone, { radius: radius }),
      ])];
    }
    var head = element("tr", {}, [
      element("th", { scope: "col" }, [text.code]),
      element("th", { scope: "col" }, [text.status]),
      element("th", { scope: "col", class: "text-end" }, [text.distance]),
      element("th", { scope: "col" }, [text.received]),
      element("th", { scope: "col" }, []),
    ]);
    var body = nearby.requests.map(function (item) {
      return element("tr", { "data-code": item.tracking_code }, [
        element("td", { class: "font-monospace" }, [item.tracking_code]),
        element("td", {}, [item.status_label]),
        element("td", { class: "text-end" }, [
          format(text.metres, { distance: Math.round(item.distance_m) }),
        ]),
        element("td", {}, [item.received_text]),
        element("td", {}, [
          element("button", {
            type: "submit",
            form: "call-form",
            name: "attach",
            value: item.tracking_code,
            class: "btn btn-sm btn-outline-warning",
            "data-testid": "attach",
          }, [text.attach]),
        ]),
      ]);
    });
    return [
      element("h2", { class: "h6" }, [format(text.nearby, { radius: radius })]),
      element("table", { class: "table table-sm align-middle", "data-testid": "nearby" }, [
        element("thead", {}, [head]),
        element("tbody", {}, body),
      ]),
    ];
  }

  function show(children, done) {
    var box = element("div", { "data-testid": "preview" }, children);
    preview.replaceChildren(box);
    if (done) {
      document.documentElement.dataset.previewReady = String(sequence);
    }
  }

  function getJson(url, values) {
    var query = new URLSearchParams(values).toString();
    return fetch(url + "?" + query, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      return response.json().then(function (body) {
        return { ok: response.ok, body: body };
      });
    });
  }

  function update() {
    var where = point();
    var code = category.value;
    if (!where || !code) {
      return;
    }
    var mine = ++sequence;
    delete document.documentElement.dataset.previewReady;
    show([element("p", { class: "text-muted" }, [text.checking])], false);
    var values = { lon: where.lon, lat: where.lat, category: code };
    Promise.all([getJson(config.routeUrl, values), getJson(config.nearbyUrl, values)])
      .then(function (answers) {
        if (mine !== sequence) {
          return;
        }
        var route = answers[0];
        var nearby = answers[1];
        if (!route.ok) {
          var message = route.body.field === "lat,lon"
            ? text.outside
            : format(text.failed, { error: route.body.error || "" });
          show([element("div", {
            class: "alert alert-danger",
            role: "alert",
            "data-testid": "preview-error",
          }, [message])], true);
          return;
        }
        var parts = decisionPart(route.body);
        if (nearby.ok) {
          parts = parts.concat(nearbyPart(nearby.body));
        }
        show(parts, true);
      })
      .catch(function (error) {
        if (mine === sequence) {
          show([element("div", { class: "alert alert-warning" }, [
            format(text.failed, { error: String(error) }),
          ])], true);
        }
      });
  }

  function typed() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var where = point();
      if (where) {
        placeMarker(where, true);
        update();
      }
    }, 400);
  }

  // -- address suggestions ---------------------------------------------------
  // As the operator types the address, /api/geocode reads it against the
  // gazetteer; the best reading and its alternatives are listed and drawn
  // on the map. A sure point that is the place itself (a door, a street's
  // line) can be taken with one click; any other (a neighbourhood's or a
  // district's point, or an unsure match) only moves the map: the operator
  // clicks the exact place, as a neighbourhood's point may be hundreds of
  // metres from it.

  var address = form.elements.address_string;
  var suggestions = document.getElementById("address-suggestions");
  var suggestionLayer = L.layerGroup().addTo(map);
  var addressTimer = null;
  var addressSequence = 0;
  var SOURCES = {
    polygon: text.sourcePolygon,
    streets: text.sourceStreets,
    place_point: text.sourcePlacePoint,
    district: text.sourceDistrict,
    street: text.sourceStreet,
    door: text.sourceDoor,
  };

  function placeName(item) {
    var parts = [];
    if (item.district) {
      parts.push(item.district.name);
    }
    if (item.neighbourhood) {
      parts.push(item.neighbourhood.name);
    }
    if (item.street) {
      parts.push(item.street.name);
    }
    return parts.join(" / ");
  }

  function suggestionItem(item, sure, index) {
    var where = item.location;
    var label = placeName(item);
    var children = [element("span", { class: "fw-semibold" }, [label])];
    if (item.score !== undefined || item.confidence !== undefined) {
      var value = item.confidence !== undefined ? item.confidence : item.score;
      children.push(" ", element("span", { class: "text-muted small" }, [
        "(" + format(text.addressConfidence, { value: confidence.format(value) }) + ")",
      ]));
    }
    if (where) {
      if (sure) {
        var use = element("button", {
          type: "button",
          class: "btn btn-sm btn-outline-primary ms-2",
          "data-testid": "address-use",
        }, [text.addressUse]);
        use.addEventListener("click", function () {
          lonInput.value = where.lon.toFixed(6);
          latInput.value = where.lat.toFixed(6);
          placeMarker(where, true);
          update();
        });
        children.push(use);
      } else {
        children.push(element("div", { class: "small text-warning-emphasis" }, [
          format(text.addressApproximate, {
            source: SOURCES[item.location_source] || item.location_source,
          }),
        ]));
      }
      var mark = L.circleMarker([where.lat, where.lon], {
        radius: sure ? 7 : 5,
        color: sure ? "#0d6efd" : "#fd7e14",
        fillOpacity: 0.5,
      }).bindTooltip(element("span", {}, [label]));
      mark.addTo(suggestionLayer);
    }
    return element("li", {
      class: "list-group-item py-1",
      "data-testid": "address-suggestion",
      "data-index": String(index),
    }, children);
  }

  function showSuggestions(body) {
    suggestionLayer.clearLayers();
    if (body.level === "none") {
      suggestions.replaceChildren(element("p", {
        class: "small text-muted mb-0",
        "data-testid": "address-none",
      }, [text.addressNone]));
      return;
    }
    var exact = body.location_source === "street" || body.location_source === "door";
    var items = [suggestionItem(body, exact && !body.needs_pin, 0)];
    (body.alternatives || []).forEach(function (alternative, index) {
      if (!body.neighbourhood || alternative.neighbourhood.code !== body.neighbourhood.code) {
        items.push(suggestionItem(alternative, false, index + 1));
      }
    });
    suggestions.replaceChildren(
      element("div", { class: "small text-muted" }, [text.addressSuggestions]),
      element("ul", { class: "list-group list-group-flush" }, items)
    );
    var first = body.location;
    if (first && !point()) {
      map.setView([first.lat, first.lon], body.needs_pin ? 13 : 15);
    }
  }

  function addressTyped() {
    clearTimeout(addressTimer);
    addressTimer = setTimeout(function () {
      var query = address.value.trim();
      var mine = ++addressSequence;
      delete document.documentElement.dataset.addressReady;
      if (query.length < 3) {
        suggestions.replaceChildren();
        suggestionLayer.clearLayers();
        return;
      }
      getJson(config.geocodeUrl, { q: query })
        .then(function (answer) {
          if (mine !== addressSequence) {
            return;
          }
          if (answer.ok) {
            showSuggestions(answer.body);
          } else {
            suggestions.replaceChildren(element("p", { class: "small text-danger" }, [
              format(text.failed, { error: answer.body.error || "" }),
            ]));
          }
          document.documentElement.dataset.addressReady = String(mine);
        })
        .catch(function () {
          /* Typing coordinates or clicking the map still works. */
        });
    }, 350);
  }

  if (address && suggestions) {
    address.addEventListener("input", addressTyped);
  }

  lonInput.addEventListener("input", typed);
  latInput.addEventListener("input", typed);
  category.addEventListener("change", update);

  var start = point();
  if (start) {
    placeMarker(start, true);
    if (!preview.querySelector("[data-testid=preview]")) {
      update();
    }
  }
  document.documentElement.dataset.consoleReady = "1";
})();
