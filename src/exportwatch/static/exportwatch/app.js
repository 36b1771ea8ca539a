/* ExportWatch: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Selects marked data-autosubmit (the language switcher) submit their form on change.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!el.matches || !el.matches("[data-autosubmit]") || !el.form) return;
    if (el.form.requestSubmit) el.form.requestSubmit();
    else el.form.submit();
  });

  document.addEventListener("DOMContentLoaded", function () {
    // After a rejected submission, move focus to the error summary so it is read out first.
    var summary = document.getElementById("form-errors");
    if (summary) summary.focus();
  });
})();
