// The command screen: a clock, and the server's push (EventSource). Each
// "changed" event after the first redraws the tiles and panels (htmx swaps
// the server-rendered, escaped fragment); text is set with textContent.
(function () {
  "use strict";
  var clock = document.getElementById("screen-clock");
  var status = document.getElementById("screen-status");
  var texts = document.getElementById("screen-texts").dataset;
  function tick() {
    var now = new Date();
    clock.textContent = now.toLocaleString();
    clock.dateTime = now.toISOString();
  }
  tick();
  setInterval(tick, 1000);

  var source = new EventSource(document.getElementById("screen-stream").getAttribute("href"));
  var seen = null;
  source.addEventListener("changed", function (event) {
    status.textContent = texts.live;
    if (seen !== null && seen !== event.data) {
      document.body.dispatchEvent(new CustomEvent("screen-changed"));
    }
    seen = event.data;
  });
  source.addEventListener("open", function () { status.textContent = texts.live; });
  source.addEventListener("error", function () { status.textContent = texts.lost; });
})();
