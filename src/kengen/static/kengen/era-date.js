// Live preview of a date typed in the Japanese era (令和8年4月1日, R8.4.1) or as 2026-04-01, beside
// every date field (core.forms.DateInput). It reads the same forms as the server
// (kengen.core.era.parse_wareki); the server decides, this only shows how the text will be read.
// A static file: the Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";
  var ERAS = [
    { name: "令和", letter: "R", start: [2019, 5, 1] },
    { name: "平成", letter: "H", start: [1989, 1, 8] },
    { name: "昭和", letter: "S", start: [1926, 12, 25] },
    { name: "大正", letter: "T", start: [1912, 7, 30] },
    { name: "明治", letter: "M", start: [1868, 1, 25] },
  ];
  var LONG = /^(明治|大正|昭和|平成|令和)(元|\d{1,3})年(\d{1,2})月(\d{1,2})日$/;
  var SHORT = /^([MTSHR])(\d{1,3})[./-](\d{1,2})[./-](\d{1,2})$/i;
  var ISO = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$/;

  function key(y, m, d) { return y * 10000 + m * 100 + d; }
  function eraOf(y, m, d) {
    for (var i = 0; i < ERAS.length; i++) {
      var s = ERAS[i].start;
      if (key(y, m, d) >= key(s[0], s[1], s[2])) return { era: ERAS[i], year: y - s[0] + 1 };
    }
    return null;
  }
  function valid(y, m, d) {
    var date = new Date(Date.UTC(y, m - 1, d));
    return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
  }
  function parse(text) {
    var s = (text || "").normalize("NFKC").replace(/\s+/g, "");
    var m, era, year, y, month, day;
    if ((m = ISO.exec(s))) {
      // 2026-04-01: year, month and day are the first three groups (not the era forms' 3rd and 4th).
      y = +m[1];
      month = +m[2];
      day = +m[3];
    } else if ((m = LONG.exec(s)) || (m = SHORT.exec(s))) {
      var token = m[1].toUpperCase();
      era = ERAS.filter(function (e) { return e.name === m[1] || e.letter === token; })[0];
      year = m[2] === "元" ? 1 : +m[2];
      if (year < 1) return null;
      y = era.start[0] + year - 1;
      month = +m[3];
      day = +m[4];
    } else {
      return null;
    }
    if (!valid(y, month, day)) return null;
    var found = eraOf(y, month, day);
    if (!found || (era && found.era !== era)) return null;
    return { y: y, m: month, d: day, era: found.era, year: found.year };
  }
  function show(input) {
    var out = document.getElementById(input.getAttribute("data-kg-era-preview"));
    if (!out) return;
    var text = input.value.trim();
    if (!text) { out.textContent = ""; out.classList.remove("kg-era-preview--error"); return; }
    var r = parse(text);
    if (!r) {
      out.textContent = out.getAttribute("data-invalid");
      out.classList.add("kg-era-preview--error");
      return;
    }
    out.classList.remove("kg-era-preview--error");
    out.textContent = "→ " + r.era.name + (r.year === 1 ? "元" : r.year) + "年" + r.m + "月" + r.d + "日（" +
      out.getAttribute("data-western") + " " + r.y + "年" + r.m + "月" + r.d + "日）";
  }
  function init(root) {
    var inputs = (root || document).querySelectorAll("input[data-kg-era-date]");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.dataset.kgEraBound) continue;
      input.dataset.kgEraBound = "1";
      input.addEventListener("input", function (e) { show(e.target); });
      show(input);
    }
  }
  window.kengenEraDate = { parse: parse };
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (e) { init(e.target); });
})();
