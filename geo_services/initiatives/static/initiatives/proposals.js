/* Residents' proposals page: the proposals on the map and in a list with their supporters; a
 * signed-in resident places a proposal by clicking the map (or draws an area), sends it with an
 * optional photo, and supports the proposals of others. Reads and writes /api/v1/proposals/.
 * Builds on portal/map.js (window.Amanah). */
(function () {
  "use strict";

  var config = Amanah.readJSON("proposals-config");
  var text = config.text;
  var list = document.querySelector("[data-proposals]");
  var errorBox = document.querySelector("[data-error]");
  var form = document.querySelector("[data-proposal-form]");

  /* The API's answer, or an error carrying its message (the API speaks the page's language). */
  function call(url, options) {
    options = options || {};
    return Amanah.api(url, {
      method: options.method || "GET",
      body: options.body,
      language: config.language,
      text: { requestFailed: text.failed }
    });
  }

  var made = Amanah.createMap(document.getElementById("proposals-map"), config);
  var map = made.map;
  var proposals = L.geoJSON(null, {
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, { radius: 8, color: "#0b5a47", weight: 2, fillColor: "#f2a900", fillOpacity: 0.9 });
    },
    style: function () {
      return { color: "#0b5a47", weight: 2, fillColor: "#f2a900", fillOpacity: 0.35 };
    },
    onEachFeature: function (feature, layer) {
      layer.bindPopup(function () {
        return feature.properties.title + " · " + Amanah.format(text.supporters, { count: feature.properties.supporters_count });
      });
    },
  }).addTo(map);

  function supportButton(feature) {
    var properties = feature.properties;
    var button = Amanah.element("button", "button button--secondary proposal-support");
    button.type = "button";
    button.dataset.support = String(feature.id);
    if (properties.supported_by_me) {
      button.textContent = text.supported;
      button.disabled = true;
    } else {
      button.textContent = text.support;
    }
    button.addEventListener("click", function () {
      button.disabled = true;
      call(config.supportUrl.replace("{id}", feature.id), { method: "POST" })
        .then(function () { return load(); })
        .catch(function (error) {
          button.disabled = false;
          Amanah.show(errorBox, error.message);
        });
    });
    return button;
  }

  function render(collection) {
    proposals.clearLayers();
    proposals.addData(collection);
    list.textContent = "";
    if (!collection.features.length) {
      list.appendChild(Amanah.element("li", "hint", text.empty));
    }
    collection.features.forEach(function (feature) {
      var properties = feature.properties;
      var item = Amanah.element("li", "proposal-item");
      item.dataset.proposal = String(feature.id);
      item.appendChild(Amanah.element("h3", "proposal-item__title", properties.title));
      var district = config.language.indexOf("ar") === 0 ? properties.district_name_ar : properties.district_name_en;
      item.appendChild(Amanah.element("p", "hint", district + " · " + (text.status[properties.status] || properties.status)));
      item.appendChild(Amanah.element("p", "proposal-item__description", properties.description));
      if (properties.thumbnail_url) {
        var photo = Amanah.element("img", "proposal-item__photo");
        photo.src = properties.thumbnail_url;
        photo.alt = properties.title;
        photo.loading = "lazy";
        item.appendChild(photo);
      }
      if (properties.status === "declined" && properties.decision_reason) {
        item.appendChild(Amanah.element("p", "proposal-item__reason", Amanah.format(text.declinedBecause, { reason: properties.decision_reason })));
      }
      var count = Amanah.element("p", "proposal-item__count");
      count.dataset.supporters = String(properties.supporters_count);
      count.textContent = Amanah.format(text.supporters, { count: properties.supporters_count });
      item.appendChild(count);
      if (config.resident && properties.status === "open") {
        item.appendChild(supportButton(feature));
      }
      list.appendChild(item);
    });
    list.setAttribute("aria-busy", "false");
  }

  function load() {
    var url = config.proposalsUrl + "?jurisdiction=" + encodeURIComponent(config.jurisdiction);
    return call(url).then(render).catch(function (error) { Amanah.show(errorBox, error.message); });
  }

  /* --- Proposing: a point by a click on the map, or a drawn area ---------------------------------- */
  if (form) {
    var placeStatus = form.querySelector("[data-place-status]");
    var formError = form.querySelector("[data-form-error]");
    var formDone = form.querySelector("[data-form-done]");
    var chosen = null; // GeoJSON geometry
    var chosenLayer = null;
    var drawing = null;

    L.drawLocal.draw.handlers.polygon.tooltip = { start: text.drawStart, cont: text.drawContinue, end: text.drawEnd };

    function choose(geometry, layer) {
      if (chosenLayer) {
        map.removeLayer(chosenLayer);
      }
      chosen = geometry;
      chosenLayer = layer.addTo(map);
      Amanah.show(placeStatus, geometry.type === "Point"
        ? Amanah.format(text.pointChosen, { lat: geometry.coordinates[1].toFixed(5), lon: geometry.coordinates[0].toFixed(5) })
        : text.areaChosen);
    }

    map.on("click", function (event) {
      if (drawing) {
        return;
      }
      var lon = Number(event.latlng.lng.toFixed(7));
      var lat = Number(event.latlng.lat.toFixed(7));
      choose({ type: "Point", coordinates: [lon, lat] }, L.marker(event.latlng, { title: text.yourProposal }));
    });

    form.querySelector("[data-draw-area]").addEventListener("click", function () {
      drawing = new L.Draw.Polygon(map, { allowIntersection: false, showArea: false });
      drawing.enable();
    });
    map.on(L.Draw.Event.CREATED, function (event) {
      var geometry = event.layer.toGeoJSON().geometry;
      choose(geometry, event.layer);
      drawing = null;
    });
    map.on(L.Draw.Event.DRAWSTOP, function () {
      window.setTimeout(function () { drawing = null; }, 0);
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      Amanah.show(formError, "");
      Amanah.show(formDone, "");
      if (!chosen) {
        Amanah.show(formError, text.placeMissing);
        return;
      }
      var body = new FormData();
      body.append("jurisdiction", config.jurisdiction);
      body.append("title", form.elements.title.value);
      body.append("description", form.elements.description.value);
      body.append("geometry", JSON.stringify(chosen));
      if (form.elements.photo.files.length) {
        body.append("photo", form.elements.photo.files[0]);
      }
      var submit = form.querySelector("[data-submit]");
      submit.disabled = true;
      call(config.proposalsUrl, { method: "POST", body: body })
        .then(function () {
          form.reset();
          if (chosenLayer) {
            map.removeLayer(chosenLayer);
          }
          chosen = null;
          chosenLayer = null;
          Amanah.show(formDone, text.sent);
          return load();
        })
        .catch(function (error) { Amanah.show(formError, error.message); })
        .then(function () { submit.disabled = false; });
    });
  }

  load();
})();
