/* Revline forms: fill the hidden UTM (and other hidden) fields from this page's address. */
(function () {
  "use strict";
  function fill() {
    var params = new URLSearchParams(window.location.search);
    document.querySelectorAll("form[data-revline-form] input[data-query-param]").forEach(function (input) {
      var value = params.get(input.name);
      if (value && !input.value) input.value = value.slice(0, 500);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fill);
  else fill();
})();
