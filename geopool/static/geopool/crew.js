/*
 * The field crew's phone page (templates/crew/crew.html).
 *
 * Position: the phone's geolocation, else typed coordinates (a decimal
 * comma is fine), else a place name looked up at /crew/place. The nearest
 * open tickets come from /crew/tickets, nearest first with their ground
 * distance, on a small map and as a list with buttons: take, start work,
 * resolve (answer, note, photo), directions in the phone's map app.
 *
 * Without coverage: the last list is kept in localStorage and shown with
 * the time it was loaded; the page itself and its files are kept by the
 * service worker (/crew/sw.js). Actions go through a queue kept in
 * localStorage and are sent in order as soon as the connection returns.
 * Each carries the ticket's updated_at as the crew saw it; a ticket that
 * changed meanwhile comes back as a conflict (HTTP 409), shown with what
 * was typed until the crew dismisses it. Nothing queued is dropped silently.
 *
 * All text from the server goes in as text (textContent), never as HTML.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("crew-config").textContent);
  var text = config.text;
  var STORE = "geopool.crew." + config.user + ".";
  var KEYS = { list: "list", queue: "queue", conflicts: "conflicts", where: "where" };
  // A photo bigger than this (as a data URL) is not kept in the queue.
  var MAX_QUEUED_PHOTO = 1500000;
  var lang = document.documentElement.lang || "tr";
  var numbers = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  var wholeNumbers = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });

  var state = { where: null, list: null, stale: false, flushing: false };
  var root = document.documentElement;

  // -- small helpers -----------------------------------------------------------

  var format = window.geopoolDom.format;
  var element = window.geopoolDom.element;

  function load(key, fallback) {
    try {
      var raw = window.localStorage.getItem(STORE + key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (error) {
      return fallback;
    }
  }

  function save(key, value) {
    try {
      window.localStorage.setItem(STORE + key, JSON.stringify(value));
      return true;
    } catch (error) {
      return false;
    }
  }

  function distanceText(metres) {
    if (metres >= 1000) {
      return format(text.kilometres, { distance: numbers.format(metres / 1000) });
    }
    return format(text.metres, { distance: wholeNumbers.format(metres) });
  }

  function timeText(iso) {
    var when = new Date(iso);
    return when.toLocaleString(lang, {
      day: "numeric",
      month: "long",
      hour: "2-digit",
      minute: "2-digit",
    });
  }

  function degrees(value) {
    var raw = String(value || "").trim().replace(/\s/g, "").replace(",", ".");
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(raw)) {
      return null;
    }
    return parseFloat(raw);
  }

  // A message with a key replaces the earlier one with that key: "queued"
  // gives way to "sent" for the same action, so only what is true now shows.
  function message(kind, words, key) {
    var box = document.getElementById("messages");
    if (key) {
      messageDrop(key);
    }
    var attributes = { class: "alert alert-" + kind + " py-1 px-2 small mb-1" };
    if (key) {
      attributes["data-key"] = key;
    }
    box.appendChild(element("div", attributes, [words]));
    while (box.children.length > 4) {
      box.removeChild(box.firstChild);
    }
  }

  function messageDrop(key) {
    var box = document.getElementById("messages");
    Array.prototype.slice.call(box.children).forEach(function (node) {
      if (node.getAttribute("data-key") === key) {
        box.removeChild(node);
      }
    });
  }

  function queuedKey(entry) {
    return "queued-" + entry.id;
  }

  // -- the map -----------------------------------------------------------------

  var map = L.map("crew-map", { zoomSnap: 0.5, maxZoom: 19 });
  map.setView([0, 0], 2);
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, {
      attribution: config.tileAttribution,
      maxZoom: 19,
    }).addTo(map);
  }
  var here = null;
  var markers = L.layerGroup().addTo(map);
  window.geopoolCrewMap = map;

  if (config.districtsUrl) {
    fetch(config.districtsUrl, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data) {
          L.geoJSON(data, {
            style: { color: "#6c757d", weight: 1, fillOpacity: 0.03 },
            interactive: false,
          }).addTo(map);
        }
      })
      .catch(function () {});
  }

  function drawHere() {
    if (!state.where) {
      return;
    }
    var latlng = [state.where.lat, state.where.lon];
    if (here) {
      here.setLatLng(latlng);
    } else {
      here = L.circleMarker(latlng, {
        radius: 7,
        color: "#0d6efd",
        fillColor: "#0d6efd",
        fillOpacity: 0.9,
      }).addTo(map);
    }
  }

  function drawTickets(tickets) {
    markers.clearLayers();
    var bounds = [];
    if (state.where) {
      bounds.push([state.where.lat, state.where.lon]);
    }
    tickets.forEach(function (ticket, index) {
      var latlng = [ticket.lat, ticket.lon];
      bounds.push(latlng);
      var tip = element("span", {}, [
        String(index + 1) + ". " + ticket.tracking_code + " · " + ticket.category.name,
      ]);
      L.circleMarker(latlng, {
        radius: 6,
        color: ticket.urgent ? "#dc3545" : "#fd7e14",
        fillOpacity: 0.8,
      })
        .bindTooltip(tip)
        .addTo(markers);
    });
    if (bounds.length > 1) {
      map.fitBounds(bounds, { padding: [16, 16], maxZoom: 17 });
    } else if (bounds.length === 1) {
      map.setView(bounds[0], 15);
    }
  }

  // -- position ------------------------------------------------------------------

  var positionStatus = document.getElementById("position-status");

  function positionSet(lon, lat, words) {
    state.where = { lon: lon, lat: lat, words: words };
    save(KEYS.where, state.where);
    positionStatus.textContent = words;
    drawHere();
    refresh();
  }

  function locate() {
    if (!window.isSecureContext || !navigator.geolocation) {
      positionStatus.textContent = text.insecure;
      return;
    }
    positionStatus.textContent = text.locating;
    navigator.geolocation.getCurrentPosition(
      function (found) {
        positionSet(
          found.coords.longitude,
          found.coords.latitude,
          format(text.located, {
            accuracy: wholeNumbers.format(found.coords.accuracy || 0),
          })
        );
      },
      function (error) {
        positionStatus.textContent = format(text.refused, {
          reason:
            { 1: text.geoDenied, 2: text.geoUnavailable, 3: text.geoTimeout }[
              error.code
            ] || String(error.code),
        });
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  }

  document.getElementById("locate").addEventListener("click", locate);

  document.getElementById("typed-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var lat = degrees(this.elements.lat.value);
    var lon = degrees(this.elements.lon.value);
    if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
      positionStatus.textContent = text.badCoordinates;
      return;
    }
    positionSet(lon, lat, text.typed);
  });

  document.getElementById("place-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var words = this.elements.q.value.trim();
    var list = document.getElementById("places");
    list.textContent = "";
    if (positionStatus.textContent === text.badCoordinates) {
      // The typed coordinates' error is not this search's.
      positionStatus.textContent = state.where ? state.where.words : "";
    }
    if (!words) {
      return;
    }
    fetch(config.placeUrl + "?" + new URLSearchParams({ q: words }), {
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (data) {
        if (!data.places || !data.places.length) {
          list.appendChild(element("li", {}, [format(text.noPlace, { text: words })]));
          return;
        }
        data.places.forEach(function (found) {
          var button = element(
            "button",
            { type: "button", class: "btn btn-link btn-sm p-0", "data-testid": "place" },
            [found.label + " (" + found.kind + ")"]
          );
          button.addEventListener("click", function () {
            list.textContent = "";
            positionSet(found.lon, found.lat, format(text.fromPlace, { place: found.label }));
          });
          list.appendChild(element("li", {}, [button]));
        });
      })
      .catch(function (error) {
        list.appendChild(element("li", {}, [String(error)]));
      });
  });

  // -- the list ------------------------------------------------------------------

  var filters = document.getElementById("filters");
  filters.addEventListener("change", function () {
    refresh();
  });

  function listUrl() {
    var params = { lon: state.where.lon, lat: state.where.lat };
    params.radius_m = filters.elements.radius_m.value;
    if (filters.elements.category.value) {
      params.category = filters.elements.category.value;
    }
    return config.ticketsUrl + "?" + new URLSearchParams(params);
  }

  function refresh() {
    if (!state.where) {
      return;
    }
    document.getElementById("list-state").textContent = text.loading;
    fetch(listUrl(), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) {
            throw new Error(data.error || response.status);
          }
          return data;
        });
      })
      .then(function (data) {
        state.list = data;
        state.stale = false;
        save(KEYS.list, data);
        render();
        flush();
      })
      .catch(function (error) {
        if (error instanceof TypeError) {
          // No connection: the last list stays readable.
          showCached();
        } else {
          document.getElementById("list-state").textContent = String(error.message);
        }
      });
  }

  function showCached() {
    var cached = load(KEYS.list, null);
    if (cached) {
      state.list = cached;
    }
    state.stale = true;
    render();
  }

  function queuedFor(code) {
    return load(KEYS.queue, []).filter(function (item) {
      return item.code === code;
    });
  }

  function banner() {
    var box = document.getElementById("offline-banner");
    if (state.stale && state.list) {
      box.textContent = format(text.offline, { time: timeText(state.list.loaded_at) });
      box.hidden = false;
    } else {
      box.hidden = true;
    }
    var queue = load(KEYS.queue, []);
    var queueBox = document.getElementById("queue-state");
    queueBox.hidden = queue.length === 0;
    queueBox.textContent = format(text.queued, { count: queue.length });
  }

  function render() {
    banner();
    var list = document.getElementById("tickets");
    list.textContent = "";
    var data = state.list;
    if (!data) {
      return;
    }
    var tickets = data.requests || [];
    document.getElementById("list-state").textContent = tickets.length
      ? format(text.count, { count: tickets.length })
      : format(text.none, { radius: wholeNumbers.format(data.radius_m) });
    tickets.forEach(function (ticket) {
      list.appendChild(ticketItem(ticket));
    });
    drawTickets(tickets);
    root.dataset.ticketsReady = String(Number(root.dataset.ticketsReady || 0) + 1);
  }

  function ticketItem(ticket) {
    var queued = queuedFor(ticket.tracking_code);
    var item = element("li", {
      class: "ticket border rounded p-2 mb-2" + (ticket.urgent ? " border-danger" : ""),
      "data-code": ticket.tracking_code,
      "data-distance": String(ticket.distance_m),
      "data-testid": "ticket",
    });
    var head = element("div", { class: "d-flex gap-2 align-items-baseline" }, [
      element("strong", { class: "distance", "data-testid": "distance" }, [
        distanceText(ticket.distance_m),
      ]),
      element("span", { class: "flex-grow-1" }, [
        element("a", { href: ticket.url, "data-testid": "code" }, [ticket.tracking_code]),
        " · ",
        element("span", { "data-testid": "category" }, [ticket.category.name]),
      ]),
      element("span", { class: "badge text-bg-secondary", "data-testid": "status" }, [
        ticket.status_label,
      ]),
    ]);
    item.appendChild(head);
    item.appendChild(
      element("div", { class: "small text-muted" }, [
        ticket.crew ? ticket.crew + (ticket.mine ? " (" + text.mine + ")" : "") : text.unassigned,
        ticket.address ? " · " + ticket.address : "",
      ])
    );
    if (ticket.description) {
      item.appendChild(
        element("div", { class: "small ticket-text", "data-testid": "description" }, [
          ticket.description,
        ])
      );
    }
    if (queued.length) {
      item.appendChild(
        element("div", { class: "small text-warning-emphasis", "data-testid": "queued" }, [
          queued
            .map(function (q) {
              return text[q.action];
            })
            .join(", ") + " …",
        ])
      );
    }
    var buttons = element("div", { class: "d-flex flex-wrap gap-1 mt-1" });
    var waiting = queued.map(function (q) {
      return q.action;
    });
    ticket.actions.forEach(function (action) {
      if (waiting.indexOf(action) !== -1) {
        return;
      }
      var button = element(
        "button",
        {
          type: "button",
          class: "btn btn-sm " + (action === "resolve" ? "btn-success" : "btn-primary"),
          "data-action": action,
        },
        [text[action]]
      );
      button.addEventListener("click", function () {
        if (action === "resolve") {
          resolveForm(item, ticket);
        } else {
          act(ticket, action, {});
        }
      });
      buttons.appendChild(button);
    });
    buttons.appendChild(
      element(
        "a",
        { class: "btn btn-outline-secondary btn-sm", href: ticket.directions.geo, "data-testid": "directions-geo" },
        [text.mapApp]
      )
    );
    buttons.appendChild(
      element(
        "a",
        {
          class: "btn btn-outline-secondary btn-sm",
          href: ticket.directions.maps,
          target: "_blank",
          rel: "noopener",
          "data-testid": "directions-maps",
        },
        [text.directions + " ↗"]
      )
    );
    item.appendChild(buttons);
    return item;
  }

  function resolveForm(item, ticket) {
    if (item.querySelector(".resolve-form")) {
      return;
    }
    var template = document.getElementById("resolve-template");
    var form = template.content.firstElementChild.cloneNode(true);
    form.querySelector("[data-role=cancel]").addEventListener("click", function () {
      form.remove();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!form.elements.answer.value.trim()) {
        form.elements.answer.focus();
        return;
      }
      var fields = {
        answer: form.elements.answer.value,
        note: form.elements.note.value,
      };
      var file = form.elements.photo.files[0];
      var done = function (photo) {
        if (photo) {
          fields.photo = photo;
        }
        act(ticket, "resolve", fields);
      };
      if (file) {
        photoData(file, done);
      } else {
        done(null);
      }
    });
    item.appendChild(form);
  }

  // A photo is kept in the queue as a JPEG data URL, scaled to 1600 px.
  function photoData(file, done) {
    var reader = new FileReader();
    reader.onload = function () {
      var image = new Image();
      image.onload = function () {
        var scale = Math.min(1, 1600 / Math.max(image.width, image.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(image.width * scale);
        canvas.height = Math.round(image.height * scale);
        canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
        done({ name: file.name, data: canvas.toDataURL("image/jpeg", 0.85) });
      };
      image.onerror = function () {
        // Not an image the browser can draw: the server says what is wrong.
        done({ name: file.name, data: reader.result });
      };
      image.src = reader.result;
    };
    reader.readAsDataURL(file);
  }

  // -- actions and the queue -------------------------------------------------

  function act(ticket, action, fields) {
    var queue = load(KEYS.queue, []);
    var entry = {
      id: Date.now() + "-" + Math.random().toString(36).slice(2, 8),
      code: ticket.tracking_code,
      action: action,
      seen: ticket.updated_at,
      answer: fields.answer || "",
      note: fields.note || "",
      photo: fields.photo || null,
      at: new Date().toISOString(),
    };
    if (entry.photo && entry.photo.data.length > MAX_QUEUED_PHOTO && !navigator.onLine) {
      message("warning", text.photoTooLarge);
      return;
    }
    queue.push(entry);
    if (!save(KEYS.queue, queue)) {
      entry.photo = null;
      queue[queue.length - 1] = entry;
      save(KEYS.queue, queue);
      message("warning", text.photoTooLarge);
    }
    if (!navigator.onLine) {
      message(
        "info",
        format(text.queuedAction, { code: entry.code, action: text[action] }),
        queuedKey(entry)
      );
    }
    render();
    flush();
  }

  function dataUrlBlob(dataUrl) {
    var parts = dataUrl.split(",");
    var type = (parts[0].match(/data:([^;]+)/) || [])[1] || "application/octet-stream";
    var bytes = atob(parts[1]);
    var buffer = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i += 1) {
      buffer[i] = bytes.charCodeAt(i);
    }
    return new Blob([buffer], { type: type });
  }

  function send(entry) {
    var body = new FormData();
    body.append("seen", entry.seen || "");
    body.append("answer", entry.answer);
    body.append("note", entry.note);
    if (entry.photo) {
      body.append("photo", dataUrlBlob(entry.photo.data), entry.photo.name || "photo.jpg");
    }
    var url = config.actUrl
      .replace("CODE", encodeURIComponent(entry.code))
      .replace("ACTION", entry.action);
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": config.csrfToken },
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return { error: "HTTP " + response.status };
        })
        .then(function (data) {
          return { status: response.status, data: data };
        });
    });
  }

  function ticketReplace(ticket) {
    if (!state.list || !ticket) {
      return;
    }
    state.list.requests = state.list.requests.map(function (old) {
      if (old.tracking_code !== ticket.tracking_code) {
        return old;
      }
      ticket.distance_m = old.distance_m;
      return ticket;
    });
    save(KEYS.list, state.list);
  }

  function conflictAdd(entry, words, status) {
    var conflicts = load(KEYS.conflicts, []);
    conflicts.push({
      id: entry.id,
      code: entry.code,
      action: entry.action,
      message: words,
      status: status,
      answer: entry.answer,
      note: entry.note,
      photo: entry.photo || null,
      at: entry.at,
    });
    if (!save(KEYS.conflicts, conflicts)) {
      // The phone's storage is full: keep the words, say the photo is lost.
      var last = conflicts[conflicts.length - 1];
      last.photo = null;
      last.photoLost = Boolean(entry.photo);
      save(KEYS.conflicts, conflicts);
    }
    conflictsShow();
  }

  function conflictsShow() {
    var list = document.getElementById("conflicts");
    list.textContent = "";
    load(KEYS.conflicts, []).forEach(function (conflict) {
      var dismiss = element(
        "button",
        { type: "button", class: "btn btn-outline-danger btn-sm ms-2" },
        [text.dismiss]
      );
      dismiss.addEventListener("click", function () {
        save(
          KEYS.conflicts,
          load(KEYS.conflicts, []).filter(function (other) {
            return other.id !== conflict.id;
          })
        );
        conflictsShow();
      });
      var typed = [conflict.answer, conflict.note].filter(Boolean).join(" / ");
      list.appendChild(
        element(
          "li",
          {
            class: "alert alert-danger py-1 px-2 small mb-1",
            "data-testid": "conflict",
            "data-code": conflict.code,
          },
          [
            element("strong", {}, [conflict.code + " · " + text[conflict.action] + ": "]),
            format(text.conflict, { message: conflict.message }),
            typed ? element("div", { class: "ticket-text" }, ["“" + typed + "”"]) : null,
            conflict.photo && conflict.photo.data.indexOf("data:image/") === 0
              ? element(
                  "a",
                  {
                    class: "d-block",
                    href: conflict.photo.data,
                    download: conflict.photo.name || "photo.jpg",
                    "data-testid": "conflict-photo",
                  },
                  [text.conflictPhoto]
                )
              : null,
            conflict.photoLost ? element("div", {}, [text.conflictPhotoLost]) : null,
            dismiss,
          ]
        )
      );
    });
  }

  function flush() {
    if (state.flushing) {
      return;
    }
    var queue = load(KEYS.queue, []);
    if (!queue.length) {
      banner();
      return;
    }
    state.flushing = true;
    var entry = queue[0];
    send(entry)
      .then(function (result) {
        var rest = load(KEYS.queue, []).filter(function (other) {
          return other.id !== entry.id;
        });
        if (result.status === 200) {
          // Later actions of this crew on the same ticket follow this one.
          rest.forEach(function (other) {
            if (other.code === entry.code) {
              other.seen = result.data.ticket.updated_at;
            }
          });
          ticketReplace(result.data.ticket);
          message(
            "success",
            format(text.sent, { code: entry.code, action: text[entry.action] }),
            queuedKey(entry)
          );
        } else if (result.status >= 500) {
          throw new Error("HTTP " + result.status);
        } else {
          // Refused for good (changed meanwhile, not allowed, invalid): shown
          // to the crew, never dropped quietly. Later actions on the same
          // ticket were built on this one and are refused with it.
          // The conflict list says what happened: the "queued" line goes.
          messageDrop(queuedKey(entry));
          conflictAdd(entry, result.data.error || "HTTP " + result.status, result.status);
          rest = rest.filter(function (other) {
            if (other.code === entry.code) {
              messageDrop(queuedKey(other));
              conflictAdd(other, result.data.error || "", result.status);
              return false;
            }
            return true;
          });
          if (result.data.ticket) {
            ticketReplace(result.data.ticket);
          }
        }
        save(KEYS.queue, rest);
        state.flushing = false;
        render();
        if (rest.length) {
          flush();
        } else {
          refresh();
        }
      })
      .catch(function () {
        // Still no connection (or the server is down): keep the queue.
        state.flushing = false;
        state.stale = true;
        banner();
      });
  }

  window.addEventListener("online", function () {
    flush();
    refresh();
  });
  window.addEventListener("offline", function () {
    state.stale = true;
    banner();
  });
  window.setInterval(flush, 30000);

  // -- start -----------------------------------------------------------------

  // The service worker serves the page and its files without coverage; the
  // first visit puts them in its cache (later ones refresh them as they go).
  if ("serviceWorker" in navigator && window.isSecureContext && window.caches) {
    navigator.serviceWorker
      .register(config.serviceWorkerUrl, { scope: config.scope })
      .then(function () {
        var files = [config.scope];
        document.querySelectorAll("link[rel=stylesheet], script[src]").forEach(
          function (node) {
            files.push(node.getAttribute("href") || node.getAttribute("src"));
          }
        );
        if (config.districtsUrl) {
          files.push(config.districtsUrl);
        }
        return caches.open(config.cacheName).then(function (cache) {
          return cache.addAll(files);
        });
      })
      .then(function () {
        root.dataset.offlineReady = "1";
      })
      .catch(function () {});
  }

  conflictsShow();
  var cached = load(KEYS.list, null);
  var where = load(KEYS.where, null);
  if (cached) {
    state.list = cached;
    state.stale = true;
    render();
  }
  if (where) {
    // The last position until the phone gives a new one.
    state.where = where;
    positionStatus.textContent = where.words;
    drawHere();
    refresh();
  }
  if (!where || where.words !== text.typed) {
    locate();
  }
  flush();
  root.dataset.crewReady = "1";
})();
