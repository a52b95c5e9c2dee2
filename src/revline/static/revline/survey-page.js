/* Revline survey page: hide the questions skip logic passes over (the server applies the same
   rules, so a page without this script still works: it just shows every question). */
(function () {
  "use strict";
  var form = document.querySelector("[data-survey-form]");
  var data = document.getElementById("survey-logic");
  if (!form || !data) return;
  var logic = JSON.parse(data.textContent);

  function answer(key) {
    var kind = logic.kinds[key];
    var inputs = form.querySelectorAll('[name="q_' + key + '"]');
    var values = [];
    inputs.forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) return;
      if (input.value.trim() !== "") values.push(input.value);
    });
    if (!values.length) return null;
    if (kind === "multiple") return values;
    if (kind === "nps" || kind === "csat" || kind === "rating") return parseInt(values[0], 10);
    return values[0];
  }

  function matches(rule, value) {
    if (value === null) return false;
    if (rule.op === "includes") return [].concat(value).map(String).indexOf(String(rule.value)) >= 0;
    if (Array.isArray(value)) return false;
    if (rule.op === "eq") return String(value) === String(rule.value);
    if (typeof value !== "number") return false;
    return rule.op === "lte" ? value <= rule.value : rule.op === "gte" ? value >= rule.value : false;
  }

  function shown() {
    var order = logic.order, seen = {}, i = 0;
    while (i < order.length) {
      var key = order[i];
      seen[key] = true;
      var rules = logic.rules[key] || [], value = answer(key), target = null;
      for (var r = 0; r < rules.length; r++) {
        if (matches(rules[r], value)) { target = rules[r].goto; break; }
      }
      if (target === "end") break;
      var next = target === null ? -1 : order.indexOf(target);
      i = next > i ? next : i + 1;
    }
    return seen;
  }

  function update() {
    var visible = shown();
    logic.order.forEach(function (key) {
      var box = document.getElementById("q-" + key);
      if (box) box.hidden = !visible[key];
    });
  }

  form.addEventListener("change", update);
  update();
})();
