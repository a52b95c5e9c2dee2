// The deal page: contact lookup pickers (also in htmx panels) and the close form's outcome switch.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var item = event.target.closest(".lookup-item");
    document.querySelectorAll(".lookup-results").forEach(function (box) {
      if (!item || !box.contains(item)) box.replaceChildren();
    });
    if (!item) return;
    var lookup = item.closest("[data-lookup]");
    lookup.querySelector("[data-lookup-value]").value = item.dataset.id;
    lookup.querySelector("[data-lookup-label]").value = item.dataset.label;
    lookup.querySelector(".lookup-results").replaceChildren();
  });
  document.addEventListener("input", function (event) {
    // Typing again clears the picked id, so a half-edited name never saves the old contact.
    if (event.target.matches("[data-lookup-label]")) {
      event.target.closest("[data-lookup]").querySelector("[data-lookup-value]").value = "";
    }
  });

  // Offer only the reasons of the chosen outcome; the competitor applies to lost deals only.
  // The server checks both, so without this script the form still refuses a mismatch.
  function syncCloseForm(form) {
    var checked = form.querySelector("input[name=outcome]:checked");
    var outcome = checked ? checked.value : "";
    var reason = form.querySelector("select[name=reason]");
    if (reason) {
      Array.prototype.forEach.call(reason.querySelectorAll("optgroup"), function (group) {
        var hide = outcome !== "" && group.label.toLowerCase() !== outcome;
        group.hidden = hide;
        group.disabled = hide;
      });
      var selected = reason.options[reason.selectedIndex];
      if (selected && selected.parentNode.disabled) reason.value = "";
    }
    var lostOnly = form.querySelector("[data-lost-only]");
    if (lostOnly) {
      var show = outcome !== "won";
      lostOnly.hidden = !show;
      lostOnly.querySelectorAll("select").forEach(function (select) { select.disabled = !show; });
    }
  }
  function init() {
    document.querySelectorAll("[data-close-form]").forEach(function (form) {
      form.addEventListener("change", function (event) {
        if (event.target.name === "outcome") syncCloseForm(form);
      });
      syncCloseForm(form);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
