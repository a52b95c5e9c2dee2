/* Revline form embed: puts the form, in an iframe, where this script tag is. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.parentNode) return;
  var frameUrl = "{{ frame_url|escapejs }}";
  var origin = "{{ origin|escapejs }}";
  var names = [{% for name in query_names %}"{{ name|escapejs }}"{% if not forloop.last %}, {% endif %}{% endfor %}];
  var here = new URLSearchParams(window.location.search);
  var query = new URLSearchParams();
  names.forEach(function (name) {
    var value = here.get(name);
    if (value) query.set(name, value.slice(0, 500));
  });
  var frame = document.createElement("iframe");
  frame.src = frameUrl + (query.toString() ? "?" + query.toString() : "");
  frame.title = "{{ title|escapejs }}";
  frame.style.width = "100%";
  frame.style.border = "0";
  frame.style.height = "520px";
  script.parentNode.insertBefore(frame, script.nextSibling);
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    var height = Number(event.data && event.data.revlineFormHeight);
    if (height > 0) frame.style.height = Math.min(Math.ceil(height), 5000) + "px";
  });
})();
