/* Case pages: maps (Leaflet, no tiles unless configured), the phone's
   position, a once-per-form client key, and htmx error swaps. No framework. */
(function () {
  "use strict";

  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // randomUUID needs a secure context; getRandomValues works on plain http too.
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // User text reaches Leaflet as a text node, never as an HTML string.
  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span;
  }

  function jsonFrom(id) {
    var node = id && document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function baseMap(node) {
    var map = L.map(node, { zoomControl: true, attributionControl: false });
    if (node.dataset.tiles) L.tileLayer(node.dataset.tiles, { maxZoom: 19 }).addTo(map);
    var grids = jsonFrom(node.dataset.grids);
    var layer = null;
    if (grids && grids.features && grids.features.length) {
      layer = L.geoJSON(grids, {
        style: { color: "#b3261e", weight: 1.5, fillColor: "#f2b8b5", fillOpacity: 0.3 },
        onEachFeature: function (f, l) { l.bindTooltip(text(f.properties.name), { sticky: true }); }
      }).addTo(map);
    }
    var lat = parseFloat(node.dataset.lat), lon = parseFloat(node.dataset.lon);
    if (!isNaN(lat) && !isNaN(lon)) map.setView([lat, lon], 16);
    else if (layer) map.fitBounds(layer.getBounds(), { padding: [8, 8] });
    else map.setView([29.65, 91.13], 13);
    return map;
  }

  function dot(latlng, colour, className) {
    var options = { radius: 9, color: "#fff", weight: 2, fillColor: colour || "#b3261e", fillOpacity: 1 };
    if (className) options.className = className;
    return L.circleMarker(latlng, options);
  }

  /* A map that sets hidden lat/lon inputs: by a tap, or by the phone's position. */
  function pickMap(node) {
    var form = node.closest("form");
    var latInput = form.querySelector("input[name=lat]"), lonInput = form.querySelector("input[name=lon]");
    var status = form.querySelector("[data-location-status]");
    if (latInput.value && lonInput.value) { node.dataset.lat = latInput.value; node.dataset.lon = lonInput.value; }
    var map = baseMap(node), marker = null;
    function place(lat, lon, how) {
      latInput.value = lat.toFixed(6);
      lonInput.value = lon.toFixed(6);
      if (marker) marker.setLatLng([lat, lon]); else marker = dot([lat, lon]).addTo(map);
      if (status) status.textContent = how + " " + lat.toFixed(5) + ", " + lon.toFixed(5);
    }
    if (latInput.value && lonInput.value) place(parseFloat(latInput.value), parseFloat(lonInput.value), node.dataset.chosen);
    map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng, node.dataset.chosen); });
    var locate = form.querySelector("[data-locate]");
    if (locate) {
      locate.addEventListener("click", function () {
        if (!navigator.geolocation) { status.textContent = locate.dataset.unavailable; return; }
        status.textContent = locate.dataset.waiting;
        navigator.geolocation.getCurrentPosition(function (pos) {
          place(pos.coords.latitude, pos.coords.longitude, locate.dataset.found);
          map.setView([pos.coords.latitude, pos.coords.longitude], 17);
        }, function () { status.textContent = locate.dataset.unavailable; },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }
  }

  /* One case's point on its grid. */
  function showMap(node) {
    var map = baseMap(node);
    var lat = parseFloat(node.dataset.lat), lon = parseFloat(node.dataset.lon);
    if (!isNaN(lat) && !isNaN(lon)) dot([lat, lon]).addTo(map);
  }

  /* Case pins for the visible area, fetched again when the map moves. */
  function pinsMap(node) {
    var map = baseMap(node), pins = L.layerGroup().addTo(map);
    var note = node.parentNode.querySelector("[data-pins-status]");
    // The list's filter form, read at each load so pins follow the filters.
    var filters = node.dataset.form && document.querySelector(node.dataset.form);
    function load() {
      var b = map.getBounds();
      var query = new URLSearchParams(filters ? new FormData(filters) : undefined);
      query.delete("page");
      query.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(","));
      fetch(node.dataset.src + "?" + query.toString(), { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
        pins.clearLayers();
        (data.features || []).forEach(function (f) {
          var c = f.geometry.coordinates, p = f.properties;
          var link = document.createElement("a");
          link.href = p.url;
          link.textContent = p.number + " " + p.category + " · " + p.stage;
          dot([c[1], c[0]], p.overdue ? "#b3261e" : "#1e5fb3", "case-pin").bindPopup(link).addTo(pins);
        });
        if (note) note.hidden = !data.truncated;
      });
    }
    map.on("moveend", load);
    if (filters) filters.addEventListener("change", load);
    load();
  }

  function init(root) {
    root.querySelectorAll("input[name=client_key]").forEach(function (input) {
      if (!input.value) input.value = uuid4();
    });
    if (window.L) {
      root.querySelectorAll("[data-map-pick]").forEach(pickMap);
      root.querySelectorAll("[data-map-show]").forEach(showMap);
      root.querySelectorAll("[data-map-pins]").forEach(function (node) {
        var box = node.closest("details");
        if (!box) { pinsMap(node); return; }
        // Leaflet needs a visible box to size itself: start when first opened.
        box.addEventListener("toggle", function once() {
          if (box.open) { box.removeEventListener("toggle", once); pinsMap(node); }
        });
      });
    }
    // A second tap while the first submission is on its way sends nothing new.
    root.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function () {
        setTimeout(function () {
          form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
        }, 0);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  // Back from a failed submission (bfcache): let the same form, same key, be sent again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-once] button[type=submit]").forEach(function (b) { b.disabled = false; });
  });
  // A refused move comes back at 400 with its message: show it in place.
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.xhr.status === 400) { e.detail.shouldSwap = true; e.detail.isError = false; }
  });
})();
