/* Partners' coverage page: the districts coloured by the number of active partners providing the
 * chosen service (a gap stands out), and the same figures as a table. Reads /api/v1/partners/coverage/.
 * Builds on portal/map.js (window.Amanah). */
(function () {
  "use strict";

  var config = Amanah.readJSON("coverage-config");
  var text = config.text;
  var arabic = Amanah.isArabic();
  var rows = document.querySelector("[data-rows]");
  var gaps = document.querySelector("[data-gaps]");
  var errorBox = document.querySelector("[data-error]");
  var select = document.querySelector("[data-service]");

  var COLOURS = ["#c0392b", "#a8d5ba", "#4fa37a", "#0b5a47"];

  function named(obj, prefix) {
    var ar = obj[prefix + "name_ar"];
    var en = obj[prefix + "name_en"];
    return arabic ? ar || en : en || ar;
  }

  function colourOf(count) {
    return COLOURS[Math.min(count, 3)];
  }

  var made = Amanah.createMap(document.getElementById("coverage-map"), config);
  var cellsByDistrict = {};
  var shapes = L.geoJSON(null, {
    style: function (feature) {
      var cell = cellsByDistrict[feature.properties.code];
      var count = cell ? cell.partners_count : 0;
      return {
        color: count === 0 ? "#7b1e13" : "#0b5a47",
        weight: count === 0 ? 2 : 1,
        dashArray: count === 0 ? "4 3" : null,
        fillColor: colourOf(count),
        fillOpacity: 0.55,
      };
    },
    onEachFeature: function (feature, layer) {
      layer.on("click", function () {
        var cell = cellsByDistrict[feature.properties.code];
        var names = cell && cell.partners.length ? cell.partners.map(function (p) { return named(p, ""); }).join(text.separator) : text.none;
        layer.bindPopup(named(feature.properties, "") + ": " + names).openPopup();
      });
    },
  }).addTo(made.map);

  function renderTable(cells) {
    rows.textContent = "";
    cells.forEach(function (cell) {
      var tr = document.createElement("tr");
      tr.dataset.district = cell.district;
      if (cell.gap) {
        tr.className = "coverage-gap";
      }
      tr.appendChild(Amanah.element("th", null, named(cell, "district_")));
      tr.lastChild.scope = "row";
      tr.appendChild(Amanah.element("td", "coverage-count", String(cell.partners_count)));
      var who = cell.partners.map(function (p) { return named(p, ""); }).join(text.separator);
      tr.appendChild(Amanah.element("td", null, who || text.none));
      rows.appendChild(tr);
    });
    rows.setAttribute("aria-busy", "false");
    var missing = cells.filter(function (cell) { return cell.gap; }).length;
    Amanah.show(gaps, Amanah.format(text.gaps, { count: missing, total: cells.length }));
  }

  function load() {
    rows.setAttribute("aria-busy", "true");
    Amanah.show(errorBox, "");
    var url = config.coverageUrl + "?jurisdiction=" + encodeURIComponent(config.jurisdiction) +
      "&service=" + encodeURIComponent(select.value);
    return Amanah.api(url, { language: config.language })
      .then(function (data) {
        cellsByDistrict = {};
        data.cells.forEach(function (cell) { cellsByDistrict[cell.district] = cell; });
        renderTable(data.cells);
        return made.ready.then(function (districts) {
          shapes.clearLayers();
          shapes.addData(districts);
        });
      })
      .catch(function (error) {
        Amanah.show(errorBox, Amanah.format(text.failed, { reason: error.message }));
      });
  }

  select.addEventListener("change", function () {
    var address = new URL(window.location.href);
    address.searchParams.set("service", select.value);
    window.history.replaceState(null, "", address.toString());
    load();
  });
  load();
})();
