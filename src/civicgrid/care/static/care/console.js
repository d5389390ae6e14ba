/* The duty console: an EventSource on the alarm stream; each event names an
   alarm whose row is fetched (rendered by the server) and put at the top. */
(function () {
  "use strict";
  var table = document.querySelector("[data-console]");
  if (!table || !window.EventSource) return;
  var rows = table.querySelector("[data-alarm-rows]");
  var empty = document.querySelector("[data-empty]");
  var status = document.querySelector("[data-live-status]");

  // A new alarm, or another press on an open one: the row comes to the top
  // and is marked fresh again, as loud as the first press.
  var RINGS = { raise: true, repeat: true };

  function refresh(id, rings) {
    fetch(table.dataset.rowUrl.replace("/0/", "/" + id + "/"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        // Our own rendered (escaped) row, parsed inert: nothing in it runs.
        var parsed = new DOMParser().parseFromString("<table><tbody>" + html.trim() + "</tbody></table>", "text/html");
        var row = document.importNode(parsed.querySelector("tbody").firstElementChild, true);
        var old = document.getElementById(row.id);
        if (old && !rings) old.replaceWith(row);
        else {
          if (old) old.remove();
          row.classList.add("fresh");
          rows.insertBefore(row, rows.firstChild);
        }
        if (window.htmx) htmx.process(row);
        if (empty) empty.hidden = true;
      });
  }

  // A reconnecting stream resumes a little way back (commits can come out
  // of id order) and sends some changes again: each is applied once.
  var applied = new Set();
  var source = new EventSource(table.dataset.stream);
  source.addEventListener("alarm", function (e) {
    var change = JSON.parse(e.data);
    if (applied.has(change.change)) return;
    applied.add(change.change);
    refresh(change.alarm, RINGS[change.action] === true);
  });
  source.onopen = function () { if (status) status.textContent = status.dataset.online; };
  source.onerror = function () { if (status) status.textContent = status.dataset.offline; };
})();
