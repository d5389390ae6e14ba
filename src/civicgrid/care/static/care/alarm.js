/* An alarm's last known position on a Leaflet map (tiles only when configured). */
(function () {
  "use strict";
  var node = document.querySelector("[data-alarm-map]");
  if (!node || !window.L) return;
  var latlng = [parseFloat(node.dataset.lat), parseFloat(node.dataset.lon)];
  var map = L.map(node, { attributionControl: false }).setView(latlng, 16);
  if (node.dataset.tiles) L.tileLayer(node.dataset.tiles, { maxZoom: 19 }).addTo(map);
  L.circleMarker(latlng, { radius: 10, color: "#fff", weight: 2, fillColor: "#b3261e", fillOpacity: 1 }).addTo(map);
})();
