/* The citizen's report form: the pin on the map, "use my location", the category's questions,
 * the photo preview. The form is an ordinary POST; this script only helps fill it in. */
(function () {
  "use strict";

  var config = Amanah.readJSON("map-config");
  var text = Amanah.readJSON("page-text") || {};
  var form = document.querySelector("[data-report-form]");
  if (!form || !config) {
    return;
  }
  var latInput = form.querySelector("[name=lat]");
  var lonInput = form.querySelector("[name=lon]");
  var pinStatus = form.querySelector("[data-pin-status]");
  var locateButton = form.querySelector("[data-locate]");
  var mapElement = document.getElementById("report-map");

  function say(message, kind) {
    pinStatus.textContent = message;
    pinStatus.classList.toggle("pin-status--error", kind === "error");
    pinStatus.classList.toggle("pin-status--ok", kind === "ok");
  }

  /* --- The pin ---------------------------------------------------------------------------- */
  var created = Amanah.createMap(mapElement, config);
  var map = created.map;
  var marker = null;
  var lookupCounter = 0;

  created.ready.catch(function () {
    say(text.outlinesFailed, "error");
  });

  function lookUpDistrict(lat, lon) {
    var mine = ++lookupCounter;
    say(text.lookingUp);
    var url = config.lookupUrl + "?lat=" + encodeURIComponent(lat) + "&lon=" + encodeURIComponent(lon) +
      "&jurisdiction=" + encodeURIComponent(config.jurisdiction);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, status: response.status, body: body };
        });
      })
      .then(function (answer) {
        if (mine !== lookupCounter) {
          return;
        }
        if (answer.ok) {
          var name = Amanah.isArabic() ? answer.body.name_ar || answer.body.name_en
            : answer.body.name_en || answer.body.name_ar;
          say(Amanah.format(text.district, { name: name }), "ok");
        } else if (answer.status === 404) {
          say(text.outside, "error");
        } else {
          say(text.lookupFailed);
        }
      })
      .catch(function () {
        if (mine === lookupCounter) {
          say(text.lookupFailed);
        }
      });
  }

  function setPin(latlng, options) {
    options = options || {};
    var lat = Number(latlng.lat);
    var lon = Number(latlng.lng);
    if (!isFinite(lat) || !isFinite(lon)) {
      return;
    }
    if (marker === null) {
      marker = L.marker([lat, lon], { draggable: true, keyboard: true }).addTo(map);
      marker.on("dragend", function () {
        setPin(marker.getLatLng(), { keepView: true });
      });
    } else {
      marker.setLatLng([lat, lon]);
    }
    latInput.value = lat.toFixed(6);
    lonInput.value = lon.toFixed(6);
    mapElement.closest(".map-wrap").classList.remove("field--invalid");
    if (options.zoom) {
      map.setView([lat, lon], Math.max(map.getZoom(), options.zoom));
    }
    say(text.pinPlaced, "ok");
    lookUpDistrict(lat, lon);
  }

  map.on("click", function (event) {
    setPin(event.latlng);
  });

  function pinFromInputs() {
    var lat = parseFloat(latInput.value);
    var lon = parseFloat(lonInput.value);
    if (isFinite(lat) && isFinite(lon)) {
      setPin({ lat: lat, lng: lon }, { zoom: 15 });
    }
  }
  latInput.addEventListener("change", pinFromInputs);
  lonInput.addEventListener("change", pinFromInputs);
  // After a refused submission the typed coordinates come back: show them as the pin again.
  if (latInput.value && lonInput.value) {
    created.ready.then(pinFromInputs, pinFromInputs);
  }

  /* --- Use my location --------------------------------------------------------------------- */
  if (!("geolocation" in navigator)) {
    locateButton.disabled = true;
    locateButton.title = text.geoUnsupported;
  }
  locateButton.addEventListener("click", function () {
    if (!("geolocation" in navigator)) {
      say(text.geoUnsupported, "error");
      return;
    }
    say(text.locating);
    locateButton.disabled = true;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        locateButton.disabled = false;
        setPin({ lat: position.coords.latitude, lng: position.coords.longitude }, { zoom: 16 });
      },
      function (error) {
        locateButton.disabled = false;
        say(error.code === error.PERMISSION_DENIED ? text.geoDenied : text.geoUnavailable, "error");
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });

  /* --- The chosen category's questions ---------------------------------------------------- */
  var select = form.querySelector("[data-category-select]");

  function showQuestions() {
    var code = select.value;
    form.querySelectorAll("[data-questions-for]").forEach(function (fieldset) {
      var mine = fieldset.getAttribute("data-questions-for") === code;
      fieldset.hidden = !mine;
      // A disabled fieldset's answers are not sent, so only the chosen category's questions are.
      fieldset.disabled = !mine;
    });
    form.querySelectorAll("[data-category-hint]").forEach(function (hint) {
      hint.hidden = hint.getAttribute("data-category-hint") !== code;
    });
  }
  select.addEventListener("change", showQuestions);
  showQuestions();

  /* --- Photo preview ------------------------------------------------------------------------ */
  var photoInput = form.querySelector("input[type=file][name=photo]");
  var preview = form.querySelector("[data-photo-preview]");
  var previewUrl = null;
  photoInput.addEventListener("change", function () {
    if (previewUrl) {
      URL.revokeObjectURL(previewUrl);
      previewUrl = null;
    }
    var file = photoInput.files && photoInput.files[0];
    if (file && file.type.indexOf("image/") === 0) {
      previewUrl = URL.createObjectURL(file);
      preview.src = previewUrl;
      preview.hidden = false;
    } else {
      preview.hidden = true;
      preview.removeAttribute("src");
    }
  });

  /* --- Sending ------------------------------------------------------------------------------ */
  var submitButton = form.querySelector("[data-submit]");
  var submitLabel = submitButton.textContent;
  form.addEventListener("submit", function () {
    // One report per tap: a second tap while the photo uploads would send it twice.
    submitButton.disabled = true;
    submitButton.textContent = text.sending;
  });
  window.addEventListener("pageshow", function () {
    submitButton.disabled = false;
    submitButton.textContent = submitLabel;
  });
})();
