// The research note toolbar: wraps the selected text of the body textarea in an allowed tag.
// The server sanitises whatever is posted, so this is only a convenience.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".note-toolbar").forEach(function (bar) {
    var area = document.getElementById(bar.dataset.target);
    if (!area) return;
    bar.hidden = false;
    function replace(before, after, placeholder) {
      var start = area.selectionStart, end = area.selectionEnd;
      var text = area.value.slice(start, end) || placeholder;
      area.setRangeText(before + text + after, start, end, "select");
      area.focus();
    }
    bar.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      if (button.dataset.wrap) {
        var tag = button.dataset.wrap;
        replace("<" + tag + ">", "</" + tag + ">", "text");
      } else if (button.dataset.list) {
        var lines = (area.value.slice(area.selectionStart, area.selectionEnd) || "item").split("\n");
        var items = lines.map(function (line) { return "  <li>" + line + "</li>"; }).join("\n");
        area.setRangeText("<ul>\n" + items + "\n</ul>", area.selectionStart, area.selectionEnd, "select");
        area.focus();
      } else if (button.dataset.link) {
        var url = window.prompt("Link address (https://…)", "https://");
        if (url && /^(https?:|mailto:)/i.test(url)) {
          var safe = url.replace(/"/g, "%22").replace(/</g, "%3C").replace(/>/g, "%3E");
          replace('<a href="' + safe + '">', "</a>", "link");
        }
      }
    });
  });
});
