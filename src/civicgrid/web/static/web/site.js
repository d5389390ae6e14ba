/* Behaviour every page may use, declared in the markup (the CSP allows no
   inline handlers): a select with data-autosubmit sends its form when it
   changes; a button with data-print prints the page. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target.closest && event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.submit();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });
  // A refused form's summary takes the focus, so the page opens on it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  });
})();
