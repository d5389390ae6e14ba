/* Fill a form's hidden position fields from the phone, when it allows. */
(function () {
  "use strict";
  var lat = document.querySelector("input[name=lat]"), lon = document.querySelector("input[name=lon]");
  if (!lat || !lon || lat.value || !navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(function (p) {
    lat.value = p.coords.latitude.toFixed(6);
    lon.value = p.coords.longitude.toFixed(6);
  }, function () {}, { enableHighAccuracy: true, timeout: 10000 });
})();
