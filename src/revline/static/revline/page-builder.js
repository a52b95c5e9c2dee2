/* Page builder: edits a landing page's blocks, kept as JSON in the form's "blocks" field.
   The server validates and sanitises everything on save and renders the live preview; this
   script only builds the editing controls (with DOM methods, never innerHTML). */
(function () {
  "use strict";

  var root = document.getElementById("block-editor");
  var schemaNode = document.getElementById("block-schema");
  if (!root || !schemaNode) return;
  var input = document.getElementById(root.dataset.input);
  if (!input) return;
  var schema = JSON.parse(schemaNode.textContent);
  var types = {};
  schema.types.forEach(function (spec) { types[spec.type] = spec; });

  var blocks;
  try {
    blocks = JSON.parse(input.value || "[]");
  } catch (error) {
    return; // leave the JSON field visible so it can be fixed by hand
  }
  if (blocks === null) blocks = [];
  if (!Array.isArray(blocks)) return;

  root.hidden = false;
  document.getElementById("blocks-json").hidden = true;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function save(structural) {
    input.value = JSON.stringify(blocks);
    if (structural) document.body.dispatchEvent(new CustomEvent("blocks-changed"));
  }

  function emptyBlock(type) {
    var block = { type: type };
    types[type].fields.forEach(function (field) {
      if (field.kind === "lines") block[field.name] = [];
      else if (field.kind === "choice") block[field.name] = field.choices[0][0];
      else block[field.name] = "";
    });
    return block;
  }

  function valueOf(block, field) {
    var value = block[field.name];
    if (field.kind === "lines") return Array.isArray(value) ? value.join("\n") : String(value || "");
    return value === undefined || value === null ? "" : String(value);
  }

  function control(block, field, id) {
    var node;
    if (field.kind === "choice" || field.kind === "link") {
      node = el("select", { id: id });
      if (field.kind === "link") node.appendChild(el("option", { value: "" }, "Choose a tracked link…"));
      field.choices.forEach(function (choice) {
        node.appendChild(el("option", { value: choice[0] }, choice[1]));
      });
    } else if (["textarea", "richtext", "lines"].indexOf(field.kind) >= 0) {
      node = el("textarea", { id: id, rows: field.kind === "richtext" ? "6" : "3" });
      if (field.kind === "richtext") node.classList.add("code-input");
    } else {
      node = el("input", { id: id, type: field.kind === "image_url" ? "url" : "text" });
    }
    if (field.kind !== "lines" && field.kind !== "choice" && field.kind !== "link") {
      node.setAttribute("maxlength", String(field.max_length));
    }
    node.value = valueOf(block, field);
    node.addEventListener("input", function () {
      block[field.name] = field.kind === "lines" ? node.value.split("\n") : node.value;
      save(false);
    });
    return node;
  }

  function ctaVisibility(card, block) {
    ["path", "link"].forEach(function (name) {
      var wrapper = card.querySelector('[data-field="' + name + '"]');
      if (wrapper) wrapper.hidden = block.target !== name;
    });
  }

  function card(block, index) {
    var spec = types[block.type];
    var number = index + 1;
    var box = el("section", { "class": "block-card", "data-block-type": block.type });
    var head = el("div", { "class": "block-head" });
    head.appendChild(el("span", { "class": "block-number" }, String(number)));
    head.appendChild(el("strong", {}, spec ? spec.label : "Unknown block “" + block.type + "”"));
    var tools = el("div", { "class": "block-tools" });
    [["↑", "Move block " + number + " up", -1], ["↓", "Move block " + number + " down", 1]].forEach(
      function (move) {
        var button = el("button", { type: "button", "class": "btn btn-small", "aria-label": move[1] }, move[0]);
        button.disabled = index + move[2] < 0 || index + move[2] >= blocks.length;
        button.addEventListener("click", function () {
          var moved = blocks.splice(index, 1)[0];
          blocks.splice(index + move[2], 0, moved);
          render();
          save(true);
        });
        tools.appendChild(button);
      }
    );
    var remove = el("button", { type: "button", "class": "btn btn-small btn-danger", "aria-label": "Remove block " + number }, "Remove");
    remove.addEventListener("click", function () {
      blocks.splice(index, 1);
      render();
      save(true);
    });
    tools.appendChild(remove);
    head.appendChild(tools);
    box.appendChild(head);
    if (!spec) return box;
    var grid = el("div", { "class": "form-grid block-fields" });
    spec.fields.forEach(function (field) {
      var id = "block-" + number + "-" + field.name;
      var wrapper = el("div", { "class": "field", "data-field": field.name });
      if (["textarea", "richtext", "lines"].indexOf(field.kind) >= 0) wrapper.classList.add("wide");
      var label = el("label", { "for": id }, field.label);
      if (field.required) {
        label.appendChild(document.createTextNode(" "));
        label.appendChild(el("span", { "class": "req" }, "*"));
      }
      wrapper.appendChild(label);
      var node = control(block, field, id);
      wrapper.appendChild(node);
      if (field.help) wrapper.appendChild(el("small", { "class": "help" }, field.help));
      if (block.type === "cta" && field.name === "target") {
        node.addEventListener("change", function () { ctaVisibility(box, block); });
      }
      grid.appendChild(wrapper);
    });
    box.appendChild(grid);
    if (block.type === "cta") ctaVisibility(box, block);
    return box;
  }

  var list = el("div", { "class": "block-list" });
  var empty = el("p", { "class": "empty block-empty" }, "No blocks yet: the page shows its headline, text and form. Add a block to build the page.");
  var adder = el("div", { "class": "block-add" });
  var picker = el("select", { id: "block-type-picker", "aria-label": "Block type" });
  schema.types.forEach(function (spec) { picker.appendChild(el("option", { value: spec.type }, spec.label)); });
  var add = el("button", { type: "button", "class": "btn" }, "Add block");
  add.addEventListener("click", function () {
    if (blocks.length >= schema.max_blocks) return;
    blocks.push(emptyBlock(picker.value));
    render();
    save(true);
    var cards = list.querySelectorAll(".block-card");
    var first = cards[cards.length - 1].querySelector("input, textarea, select");
    if (first) first.focus();
  });
  adder.appendChild(picker);
  adder.appendChild(add);
  root.appendChild(list);
  root.appendChild(empty);
  root.appendChild(adder);

  function render() {
    list.replaceChildren.apply(list, blocks.map(card));
    empty.hidden = blocks.length > 0;
    add.disabled = blocks.length >= schema.max_blocks;
  }
  render();

  // Preview width: the preview's page reflows through its container queries.
  var preview = document.getElementById("page-preview");
  document.querySelectorAll("[data-preview-width]").forEach(function (button) {
    button.addEventListener("click", function () {
      var phone = button.dataset.previewWidth === "phone";
      preview.classList.toggle("is-phone", phone);
      document.querySelectorAll("[data-preview-width]").forEach(function (other) {
        other.setAttribute("aria-pressed", String(other === button));
      });
    });
  });
})();
