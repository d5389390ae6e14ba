// The people's-condition map: each overlay is a GeoJSON endpoint, reloaded
// for the visible box whenever the map moves or an overlay is switched on.
// Names, numbers and reasons are user text: they reach Leaflet as text nodes,
// never as HTML strings.
(function () {
  "use strict";
  function text(value) {
    const span = document.createElement("span");
    span.textContent = value;
    return span;
  }

  const config = JSON.parse(document.getElementById("map-config").textContent);
  const urls = JSON.parse(document.getElementById("layer-urls").textContent);
  const registered = JSON.parse(document.getElementById("map-layers").textContent);
  const colours = { red: "#d32f2f", yellow: "#f9a825", green: "#2e7d32", "": "#9e9e9e" };
  const card = document.getElementById("card");
  const map = L.map("map").setView(config.centre, config.zoom);
  if (config.tiles) {
    L.tileLayer(config.tiles, { maxZoom: 19 }).addTo(map);
  }

  function showCard(householdId) {
    const url = config.cardUrl.replace("/0/", "/" + householdId + "/");
    card.hidden = false;
    card.parentElement.classList.add("with-card");
    // The card is a server-rendered (escaped) fragment, swapped in by htmx.
    window.htmx.ajax("GET", url, { target: "#card", swap: "innerHTML" });
  }
  card.addEventListener("click", (event) => {
    if (event.target.closest("[data-close-card]")) {
      card.hidden = true;
      card.replaceChildren();
      card.parentElement.classList.remove("with-card");
    }
  });

  function clusterIcon(p) {
    const size = Math.min(60, 24 + Math.round(Math.sqrt(p.total)));
    const main = p.red ? "red" : p.yellow ? "yellow" : "green";
    const icon = document.createElement("div");
    icon.className = "cluster-icon";
    icon.style.width = icon.style.height = size + "px";
    icon.style.background = colours[main];
    icon.textContent = String(p.total);
    return L.divIcon({ className: "", html: icon, iconSize: [size, size] });
  }

  // Households of one building: one marker in the most urgent colour with
  // the count of each colour; a tap lists them, most urgent first.
  function buildingIcon(p) {
    const icon = document.createElement("div");
    icon.className = "building-marker colour-" + (p.colour || "none");
    for (const colour of ["red", "yellow", "green"]) {
      if (!p[colour]) continue;
      const count = document.createElement("span");
      count.className = "count count-" + colour;
      count.textContent = String(p[colour]);
      icon.appendChild(count);
    }
    if (!icon.childElementCount) icon.appendChild(text(String(p.total)));
    return L.divIcon({ className: "", html: icon, iconSize: null });
  }

  function buildingList(p) {
    const box = document.createElement("div");
    box.className = "building-list";
    const title = document.createElement("b");
    title.textContent = p.name + " · " + config.householdsIn + " " + p.total;
    box.appendChild(title);
    const list = document.createElement("ul");
    for (const h of p.households) {
      const item = document.createElement("li");
      const open = document.createElement("button");
      open.type = "button";
      open.className = "link household-" + (h.colour || "none");
      open.textContent = h.number + (h.reason ? " · " + h.reason : "");
      open.addEventListener("click", () => {
        map.closePopup();
        showCard(h.id);
      });
      item.appendChild(open);
      list.appendChild(item);
    }
    box.appendChild(list);
    return box;
  }

  // Tooltips open on the side with more room, so they stay on the screen.
  const tip = { direction: "auto" };

  // At district zoom, grid clusters closer than their size on the screen are
  // drawn as one, so no two labels overlap.
  function mergeClusters(features) {
    const placed = [];
    for (const f of features) {
      const p = f.properties;
      const at = map.latLngToLayerPoint(L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]));
      const size = Math.min(60, 24 + Math.round(Math.sqrt(p.total)));
      const near = placed.find((c) => c.at.distanceTo(at) < (c.size + size) / 2 + 4);
      if (!near) {
        placed.push({ at: at, size: size, f: { type: "Feature", geometry: f.geometry, properties: Object.assign({}, p) } });
        continue;
      }
      const q = near.f.properties;
      for (const key of ["total", "red", "yellow", "green"]) q[key] = (q[key] || 0) + (p[key] || 0);
      q.merged = (q.merged || 1) + 1;
      near.size = Math.min(60, 24 + Math.round(Math.sqrt(q.total)));
    }
    return placed.map((c) => c.f);
  }

  // Place names drawn over each other: keep the first, hide the rest.
  function declutter() {
    const shown = [];
    document.querySelectorAll(".place-label").forEach((label) => {
      label.classList.remove("crowded");
      const box = label.getBoundingClientRect();
      const hit = shown.some((b) => !(box.right < b.left || box.left > b.right || box.bottom < b.top || box.top > b.bottom));
      if (hit) label.classList.add("crowded");
      else shown.push(box);
    });
  }

  const overlays = {
    places: L.geoJSON(null, {
      style: { color: "#1565c0", weight: 2, fillOpacity: 0.03 },
      onEachFeature: (f, layer) =>
        layer.bindTooltip(text(f.properties.name), { permanent: true, direction: "center", className: "place-label" }),
    }),
    households: L.geoJSON(null, {
      pointToLayer: (f, latlng) => {
        const p = f.properties;
        if (p.kind === "cluster") {
          return L.marker(latlng, { icon: clusterIcon(p), title: p.name });
        }
        if (p.kind === "building") {
          return L.marker(latlng, { icon: buildingIcon(p), title: p.name, zIndexOffset: 1000 });
        }
        return L.circleMarker(latlng, {
          radius: 7, color: "#fff", weight: 1, fillOpacity: 0.9, fillColor: colours[p.colour] || colours[""],
          className: "household household-" + (p.colour || "none"),
        });
      },
      onEachFeature: (f, layer) => {
        const p = f.properties;
        if (p.kind === "cluster") {
          const name = p.merged ? p.name + " +" + (p.merged - 1) : p.name;
          layer.bindTooltip(text(name + " · " + config.householdsIn + " " + p.total +
            " (" + p.red + "/" + p.yellow + "/" + p.green + ")"), tip);
          layer.on("click", () => map.setView(layer.getLatLng(), Math.max(map.getZoom() + 2, 16)));
        } else if (p.kind === "building") {
          layer.bindTooltip(text(p.name + " · " + config.householdsIn + " " + p.total), tip);
          layer.bindPopup(buildingList(p), { autoPanPadding: [8, 8], maxWidth: 260 });
        } else {
          layer.bindTooltip(text(p.number + (p.reason ? " · " + p.reason : "")), tip);
          layer.on("click", () => showCard(p.id));
        }
      },
    }),
  };

  // Every other layer is a package's point layer, drawn from its registered
  // style: fixed circle options, a fill colour and a class by one property,
  // and a tooltip of properties (text only: Leaflet escapes nothing).
  function pointLayer(style) {
    const fill = style.fillBy || null;
    return L.geoJSON(null, {
      pointToLayer: (f, latlng) => {
        const p = f.properties;
        const options = {};
        for (const key of ["radius", "color", "weight", "fillColor", "fillOpacity"]) {
          if (key in style) options[key] = style[key];
        }
        if (fill) options.fillColor = fill.colours[p[fill.property]] || fill.other;
        options.className = style.className || "";
        if (style.classBy) options.className += " " + style.className + "-" + p[style.classBy];
        return L.circleMarker(latlng, options);
      },
      onEachFeature: (f, layer) => {
        const p = f.properties;
        const states = style.stateLabels || {};
        const parts = (style.tooltip || []).map((key) => (key === "state" && states[p[key]]) || p[key]);
        layer.bindTooltip(text(parts.join(" · ")), tip);
        if (p.household) layer.on("click", () => showCard(p.household));
      },
    });
  }
  const labels = {};
  const shown = [];
  for (const item of registered) {
    labels[item.name] = item.label;
    if (!overlays[item.name]) overlays[item.name] = pointLayer(item.style);
    if (item.on) shown.push(item.name);
  }
  for (const name of Object.keys(overlays)) {
    if (!(name in labels)) delete overlays[name];
  }

  const sequence = {};
  function load(name) {
    const layer = overlays[name];
    if (!layer || !map.hasLayer(layer)) return;
    const b = map.getBounds();
    const params = new URLSearchParams({
      bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(","),
    });
    if (name === "places") params.set("level", map.getZoom() >= 14 ? "grid" : "community");
    const mine = (sequence[name] = (sequence[name] || 0) + 1);
    fetch(urls[name] + "?" + params, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((data) => {
        if (!data || mine !== sequence[name]) return;
        layer.clearLayers();
        if (data.clustered) data.features = mergeClusters(data.features);
        layer.addData(data);
        if (name === "places") declutter();
        map.getContainer().dataset[name] = String(data.features.length);
      });
  }

  const control = {};
  for (const name of Object.keys(overlays)) {
    control[labels[name]] = overlays[name];
    if (shown.includes(name)) overlays[name].addTo(map);
  }
  L.control.layers(null, control, { collapsed: false }).addTo(map);
  map.on("moveend", () => Object.keys(overlays).forEach(load));
  map.on("overlayadd", (event) => {
    const name = Object.keys(overlays).find((key) => overlays[key] === event.layer);
    load(name);
  });
  Object.keys(overlays).forEach(load);
})();
