/* Pipeline board: drag a card to another stage (SortableJS), close on won/lost via a dialog.
   The server answers every move with the re-rendered board (counts and sums included), or
   with a plain-text reason, shown with textContent, after which the card goes back. */
(function () {
  "use strict";
  var root = document.getElementById("board");
  if (!root || typeof Sortable === "undefined") return;
  var errorBox = document.getElementById("board-error");
  var dialog = document.getElementById("board-close-dialog");
  var closeForm = document.getElementById("board-close-form");
  var dialogError = closeForm.querySelector("[data-dialog-error]");
  var pending = null; // the drop waiting for the dialog: {item, from, oldIndex}
  var sortables = [];

  function query() { return root.dataset.query ? "?" + root.dataset.query : ""; }
  function csrf() { return closeForm.querySelector("[name=csrfmiddlewaretoken]").value; }

  function showError(message) {
    errorBox.textContent = message || "The deal could not be moved.";
    errorBox.hidden = false;
  }

  function putBack(drop) {
    var after = drop.from.children[drop.oldIndex] || null;
    drop.from.insertBefore(drop.item, after);
  }

  function send(url, body) {
    return fetch(url + query(), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "X-Requested-With": "fetch" },
    }).then(function (response) {
      return response.text().then(function (text) {
        return { ok: response.ok, status: response.status, text: text };
      });
    }, function () {
      return { ok: false, status: 0, text: "The server could not be reached. Try again." };
    });
  }

  function replaceBody(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    var fresh = template.content.getElementById("board-body");
    if (!fresh) { window.location.reload(); return; }
    document.getElementById("board-body").replaceWith(fresh);
    init();
  }

  function move(drop, stageId) {
    var body = new FormData();
    body.append("deal", drop.item.dataset.deal);
    body.append("stage", stageId);
    root.setAttribute("aria-busy", "true");
    send(root.dataset.moveUrl, body).then(function (answer) {
      root.removeAttribute("aria-busy");
      if (answer.ok) { errorBox.hidden = true; replaceBody(answer.text); }
      else { putBack(drop); showError(answer.text); }
    });
  }

  function askClose(drop, kind) {
    pending = drop;
    closeForm.reset();
    dialogError.hidden = true;
    closeForm.elements.deal.value = drop.item.dataset.deal;
    closeForm.elements.outcome.value = kind;
    var title = document.getElementById("board-close-title");
    title.textContent = title.dataset["title" + (kind === "won" ? "Won" : "Lost")];
    var name = drop.item.querySelector(".board-card-title");
    closeForm.querySelector("[data-deal-name]").textContent = name ? name.textContent : "";
    closeForm.querySelectorAll("[data-for]").forEach(function (field) {
      var used = field.dataset.for === kind;
      field.hidden = !used;
      field.querySelectorAll("select").forEach(function (s) { s.disabled = !used; });
    });
    dialog.showModal();
  }

  closeForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var submit = closeForm.querySelector("[data-submit]");
    submit.disabled = true;
    send(root.dataset.closeUrl, new FormData(closeForm)).then(function (answer) {
      submit.disabled = false;
      if (answer.ok) {
        pending = null;
        dialog.close();
        errorBox.hidden = true;
        replaceBody(answer.text);
      } else {
        dialogError.textContent = answer.text || "The deal could not be closed.";
        dialogError.hidden = false;
      }
    });
  });
  closeForm.querySelector("[data-cancel]").addEventListener("click", function () { dialog.close(); });
  // Cancel, Escape or any close without a successful submit puts the card back.
  dialog.addEventListener("close", function () {
    if (pending) { putBack(pending); pending = null; }
  });

  function onEnd(event) {
    if (event.from === event.to) return; // the order inside a column means nothing
    var drop = { item: event.item, from: event.from, oldIndex: event.oldIndex };
    var kind = event.to.dataset.kind;
    if (kind === "won" || kind === "lost") askClose(drop, kind);
    else move(drop, event.to.dataset.stage);
  }

  function init() {
    sortables.forEach(function (s) { s.destroy(); });
    sortables = [];
    root.querySelectorAll(".board-cards").forEach(function (list) {
      var open = list.dataset.kind === "open";
      sortables.push(Sortable.create(list, {
        group: { name: "deals", pull: open, put: true },
        draggable: "[data-draggable]",
        animation: 120,
        ghostClass: "board-ghost",
        chosenClass: "board-chosen",
        onEnd: onEnd,
      }));
    });
  }

  // Close dates are typed only for a custom period; a named period picks them itself.
  var period = document.getElementById("id_period");
  var dates = document.querySelector("[data-board-dates]");
  if (period && dates) {
    var from = document.getElementById("id_close_from"), to = document.getElementById("id_close_to");
    if (!period.value && ((from && from.value) || (to && to.value))) period.value = "custom";
    var sync = function () { dates.hidden = period.value !== "custom"; };
    period.addEventListener("change", sync);
    sync();
  }

  init();
})();
