/* Revline embedded form: tell the page around the iframe how tall the form is. */
(function () {
  "use strict";
  if (window.parent === window) return;
  function report() {
    window.parent.postMessage({ revlineFormHeight: document.documentElement.scrollHeight }, "*");
  }
  window.addEventListener("load", report);
  if (window.ResizeObserver) new ResizeObserver(report).observe(document.body);
})();
