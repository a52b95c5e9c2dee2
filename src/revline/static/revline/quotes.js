// Quote editor: add line rows from the formset's empty form, and fill a line's name and unit
// price from the product picker (prices come from the server, already resolved per currency).
(function () {
  "use strict";
  var editor = document.getElementById("quote-editor");
  if (!editor) return;
  var prices = JSON.parse(document.getElementById("price-map").textContent || "{}");
  var rows = document.getElementById("line-rows");
  var template = document.getElementById("line-template");
  var total = editor.querySelector('input[name="lines-TOTAL_FORMS"]');

  function onProduct(event) {
    var select = event.target;
    if (!select.name || !/-product$/.test(select.name)) return;
    var row = select.closest("tr");
    var info = prices[select.value];
    if (!row || !info) return;
    var name = row.querySelector('input[name$="-name"]');
    var price = row.querySelector('input[name$="-unit_price"]');
    if (name) name.value = info.name;
    if (price) price.value = info.price;
  }

  document.getElementById("add-line").addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var added = rows.lastElementChild;
    var first = added && added.querySelector("select, input");
    if (first) first.focus();
  });
  rows.addEventListener("change", onProduct);
})();
