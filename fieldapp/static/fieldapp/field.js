/* The inspector's tablet app: today's jobs on a map and in visiting order, a job's checklist with
 * photos and the position, and the outbox of finished inspections — also with no network.
 *
 * What the app needs offline lives on the tablet: the page and its files in the service worker's
 * cache (/field/sw.js), the day's jobs and checklists and the outbox in IndexedDB (outbox.js).
 * Every call to the API carries the tablet's device id (X-Device-Id) and, for writes, the CSRF token. */
(() => {
  "use strict";

  const config = Amanah.readJSON("field-config");
  if (!config) {
    return;
  }
  const text = config.text;
  const { format, element, show } = Amanah;
  const Outbox = window.AmanahOutbox;
  const user = config.user.id;
  const arabic = config.language.startsWith("ar");
  // Latin digits, as on the rest of the municipality's pages.
  const locale = `${arabic ? "ar-JO" : "en-GB"}-u-nu-latn`;
  const listSeparator = arabic ? "، " : ", ";
  const $ = (selector, root = document) => root.querySelector(selector);

  const clock = new Intl.DateTimeFormat(locale, {
    timeZone: config.timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  const dayAndClock = new Intl.DateTimeFormat(locale, {
    timeZone: config.timeZone,
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  // A due date is a calendar date of the jurisdiction: read it at noon UTC so no zone moves it.
  const calendarDate = new Intl.DateTimeFormat(locale, { timeZone: "UTC", weekday: "short", day: "numeric", month: "short" });
  const decimal = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  const whole = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });

  const named = (obj) => (obj ? (arabic ? obj.name_ar || obj.name_en : obj.name_en || obj.name_ar) : "");
  const labelled = (obj) => (arabic ? obj.label_ar || obj.label_en : obj.label_en || obj.label_ar) || "";
  const todayLocal = () => new Intl.DateTimeFormat("en-CA", { timeZone: config.timeZone }).format(new Date());
  const isSameLocalDay = (iso) =>
    new Intl.DateTimeFormat("en-CA", { timeZone: config.timeZone }).format(new Date(iso)) === todayLocal();
  const when = (iso) => (isSameLocalDay(iso) ? clock : dayAndClock).format(new Date(iso));

  function distanceText(metres) {
    if (metres === null || metres === undefined || !Number.isFinite(Number(metres))) {
      return "";
    }
    const m = Number(metres);
    if (m < 1000) {
      return format(text.metres, { m: whole.format(Math.round(m / 10) * 10) });
    }
    return format(text.km, { km: decimal.format(m / 1000) });
  }

  /* Great-circle distance, for the warning only; the server measures on the spheroid. */
  function haversine(a, b) {
    const rad = Math.PI / 180;
    const dLat = (b.lat - a.lat) * rad;
    const dLon = (b.lon - a.lon) * rad;
    const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
    return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
  }

  /* --- The device and the API ---------------------------------------------------------------- */
  const DEVICE_KEY = "amanah-field-device-id";
  const RETRY_EVERY_MS = 60000;
  let deviceId = "";
  try {
    deviceId = localStorage.getItem(DEVICE_KEY) || "";
    if (!deviceId) {
      deviceId = crypto.randomUUID();
      localStorage.setItem(DEVICE_KEY, deviceId);
    }
  } catch (error) {
    // Storage refused (a private window): an id for this visit still lets the server group calls.
    deviceId = deviceId || crypto.randomUUID();
  }

  function api(url, options = {}) {
    return Amanah.api(url, {
      ...options,
      headers: { "X-Device-Id": deviceId, ...(options.headers || {}) },
      language: config.language,
      text,
    });
  }

  const urls = {
    inspection: (uuid) => config.api.inspection.replace("{uuid}", uuid),
    photo: (uuid, photoUuid) => config.api.photo.replace("{uuid}", uuid).replace("{photo}", photoUuid),
  };

  /* --- Page elements -------------------------------------------------------------------------- */
  const appError = $("[data-app-error]");
  const appSaved = $("[data-app-saved]");
  const dayView = $("[data-day-view]");
  const jobList = $("[data-jobs]");
  const dayStatus = $("[data-day-status]");
  const routeLine = $("[data-route]");
  const orderNote = $("[data-order-note]");
  const outboxList = $("[data-outbox]");
  const syncButton = $("[data-sync-now]");
  const syncSummary = $("[data-sync-summary]");
  const moreJobsNote = $("[data-more-jobs]");
  const connection = $("[data-connection]");
  const inspectionView = $("[data-inspection]");
  const checklist = $("[data-checklist]");
  const itemsHolder = $("[data-items]");
  const formError = $("[data-form-error]");
  const positionLine = $("[data-position]");
  const positionWarning = $("[data-position-warning]");

  const state = {
    day: null, // {jobs, templates, total_distance_m, ...} as the today API answered
    savedAt: null,
    fresh: false,
    origin: null, // the position the order was computed from
    records: [],
    job: null,
    template: null,
    draft: null,
    signedOut: false,
    framed: "", // the stops the map was last framed for
    refreshing: null,
  };

  /* --- Connection, storage, service worker ----------------------------------------------------- */
  function showConnection() {
    const online = navigator.onLine;
    connection.dataset.online = String(online);
    $("[data-connection-text]", connection).textContent = online ? text.online : text.offlineNow;
  }
  window.addEventListener("offline", showConnection);
  window.addEventListener("online", () => {
    showConnection();
    syncNow();
    refreshDay();
  });
  showConnection();

  async function keepStorage() {
    const holder = $("[data-storage]");
    if (!navigator.storage || !navigator.storage.persist) {
      holder.textContent = text.storageUnknown;
      holder.dataset.persistent = "unknown";
      return;
    }
    let persistent = false;
    try {
      persistent = (await navigator.storage.persisted()) || (await navigator.storage.persist());
    } catch (error) {
      persistent = false;
    }
    holder.dataset.persistent = String(persistent);
    holder.textContent = persistent ? text.storagePersistent : text.storageBestEffort;
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator)) {
      return;
    }
    navigator.serviceWorker.register(config.serviceWorker, { scope: config.scope }).catch(() => {
      // Without the worker the app still works while the page stays open; reloading offline will not.
    });
  }

  /* --- The day's jobs --------------------------------------------------------------------------- */
  const doneHere = () =>
    new Set(state.records.filter((r) => r.state !== "failed").map((record) => record.job));

  function templateFor(job) {
    if (!state.day || !job || !job.template) {
      return null;
    }
    const { code, version } = job.template;
    return (state.day.templates || []).find((t) => t.code === code && Number(t.version) === Number(version)) || null;
  }

  /* The today API's answer as the app keeps it: the jobs (GeoJSON features) as plain records, in
   * visiting order, beside the checklists they use. */
  function dayOf(answer) {
    const features = (answer.jobs && answer.jobs.features) || [];
    return {
      date: answer.date,
      total_distance_m: answer.total_distance_m,
      more_jobs: Boolean(answer.more_jobs),
      job_limit: answer.job_limit,
      jobs: features.map((feature) => feature.properties),
      templates: answer.templates || [],
    };
  }

  function jobById(id) {
    return state.day ? (state.day.jobs || []).find((job) => job.id === id) || null : null;
  }

  function lonLat(job) {
    const location = job.target && job.target.location;
    if (!location || !Array.isArray(location.coordinates)) {
      return null;
    }
    return { lon: Number(location.coordinates[0]), lat: Number(location.coordinates[1]) };
  }

  function renderDayStatus() {
    if (!state.day) {
      dayStatus.textContent = navigator.onLine ? text.loading : text.noJobsStored;
      return;
    }
    dayStatus.textContent = format(state.fresh ? text.jobsFresh : text.jobsSaved, {
      time: when(state.savedAt || new Date().toISOString()),
    });
  }

  function renderJobs() {
    renderDayStatus();
    jobList.setAttribute("aria-busy", "false");
    jobList.replaceChildren();
    if (!state.day) {
      routeLine.textContent = "";
      orderNote.textContent = "";
      return;
    }
    const jobs = state.day.jobs || [];
    const done = doneHere();
    routeLine.textContent = jobs.length
      ? format(text.route, { count: jobs.length, distance: distanceText(state.day.total_distance_m || 0) })
      : "";
    moreJobsNote.hidden = !state.day.more_jobs;
    moreJobsNote.textContent = state.day.more_jobs ? format(text.moreJobs, { limit: state.day.job_limit }) : "";
    orderNote.textContent = jobs.length
      ? state.origin
        ? format(text.fromPosition, { accuracy: whole.format(state.origin.accuracy || 0) })
        : text.noPositionOrder
      : "";
    if (!jobs.length) {
      jobList.append(element("li", "job-list__empty", text.noJobs));
    }
    jobs.forEach((job, index) => {
      const li = element("li", "job-list__entry");
      const button = element("button", "job");
      button.type = "button";
      button.dataset.jobId = String(job.id);
      const isDone = done.has(job.id);
      if (isDone) {
        button.classList.add("job--done");
        button.dataset.done = "true";
      }
      if (job.overdue) {
        button.classList.add("job--overdue");
      }
      const number = element("span", "job__number", String(index + 1));
      number.setAttribute("aria-label", format(text.stop, { number: index + 1 }));
      button.append(number);
      const body = element("span", "job__body");
      body.append(element("span", "job__target", job.target ? job.target.label : `#${job.id}`));
      const template = templateFor(job);
      const templateName = template ? named(template) : job.template ? named(job.template) : "";
      const meta = element("span", "job__meta");
      for (const part of [templateName, named(job.district)]) {
        if (part) {
          meta.append(element("span", null, part));
        }
      }
      body.append(meta);
      const tags = element("span", "job__tags");
      if (isDone) {
        tags.append(element("span", "badge badge--resolved", text.doneHere));
      } else if (job.overdue) {
        tags.append(element("span", "badge badge--late", text.overdue));
      }
      if (job.due_date && job.due_date !== todayLocal()) {
        tags.append(
          element("span", "job__due", format(text.due, { date: calendarDate.format(new Date(`${job.due_date}T12:00:00Z`)) })),
        );
      }
      const leg = job.leg_distance_m;
      if (leg !== undefined && leg !== null) {
        tags.append(
          element("span", "job__leg", format(index === 0 && state.origin ? text.firstLeg : text.leg, { distance: distanceText(leg) })),
        );
      }
      body.append(tags);
      button.append(body);
      button.addEventListener("click", () => openJob(job.id));
      li.append(button);
      jobList.append(li);
    });
    drawJobs();
  }

  async function refreshDay() {
    if (state.refreshing) {
      return state.refreshing;
    }
    state.refreshing = (async () => {
      const origin = await currentPosition({ timeout: 8000, maximumAge: 120000 }).catch(() => null);
      const params = new URLSearchParams();
      if (origin) {
        params.set("lat", origin.lat.toFixed(6));
        params.set("lon", origin.lon.toFixed(6));
      }
      const query = params.toString();
      try {
        const response = await api(`${config.api.today}${query ? `?${query}` : ""}`, { withResponse: true });
        if (response.fromCache) {
          // The service worker's copy: the tablet's own saved day is at least as recent.
          return;
        }
        state.day = dayOf(response.data);
        state.origin = origin;
        state.fresh = true;
        state.savedAt = new Date().toISOString();
        await Outbox.saveDay(user, { ...state.day, origin });
      } catch (error) {
        if (!error.offline && error.status !== 401 && error.status !== 403) {
          show(appError, error.message);
        }
        if (error.status === 401 || error.status === 403) {
          show(appError, text.signedOut);
        }
      }
      // An open checklist stays open even if its job left the list: the inspector's work is never
      // thrown away here, and the server says what it thinks of it when it is sent.
      renderJobs();
    })().finally(() => {
      state.refreshing = null;
    });
    return state.refreshing;
  }

  async function loadSavedDay() {
    try {
      const saved = await Outbox.loadDay(user);
      if (saved && !state.fresh) {
        state.day = saved.day;
        state.origin = saved.day.origin || null;
        state.savedAt = saved.savedAt;
      }
    } catch (error) {
      show(appError, format(text.saveFailed, { reason: error.message }));
    }
    renderJobs();
  }

  /* --- Map ------------------------------------------------------------------------------------ */
  const created = Amanah.createMap($("#field-map"), config.map, { fitDistricts: false });
  const map = created.map;
  const jobLayer = L.featureGroup().addTo(map);
  const hereLayer = L.featureGroup().addTo(map);
  created.ready.catch(() => {
    // Offline before the outlines were ever saved: the jobs still show on the map.
  });

  function stopIcon(number, job, isDone) {
    const classes = ["stop-marker"];
    if (isDone) {
      classes.push("stop-marker--done");
    } else if (job.overdue) {
      classes.push("stop-marker--overdue");
    }
    return L.divIcon({
      className: "",
      html: `<span class="${classes.join(" ")}" data-stop="${job.id}">${isDone ? "✓" : number}</span>`,
      iconSize: [34, 34],
      iconAnchor: [17, 17],
    });
  }

  function drawJobs() {
    jobLayer.clearLayers();
    if (!state.day) {
      return;
    }
    const done = doneHere();
    const path = [];
    if (state.origin) {
      path.push([state.origin.lat, state.origin.lon]);
    }
    (state.day.jobs || []).forEach((job, index) => {
      const point = lonLat(job);
      if (!point) {
        return;
      }
      path.push([point.lat, point.lon]);
      const marker = L.marker([point.lat, point.lon], {
        icon: stopIcon(index + 1, job, done.has(job.id)),
        keyboard: true,
        title: job.target ? job.target.label : `#${job.id}`,
      });
      marker.bindTooltip(`${index + 1}. ${job.target ? job.target.label : ""}`, { direction: "top", offset: [0, -14] });
      marker.on("click", () => openJob(job.id));
      marker.addTo(jobLayer);
    });
    if (path.length > 1) {
      L.polyline(path, { color: "#0b5a47", weight: 3, opacity: 0.7, dashArray: "6 8", interactive: false })
        .addTo(jobLayer)
        .bringToBack();
    }
    // Framed again only when the stops change, not after every sync: the inspector may have moved the map.
    const stops = (state.day.jobs || []).map((job) => job.id).join(",");
    if (jobLayer.getLayers().length && stops !== state.framed) {
      state.framed = stops;
      map.fitBounds(jobLayer.getBounds(), { padding: [32, 32], maxZoom: 16 });
    }
  }

  function drawHere(position) {
    hereLayer.clearLayers();
    if (!position) {
      return;
    }
    L.circle([position.lat, position.lon], {
      radius: position.accuracy || 0,
      color: "#1f6fb2",
      weight: 1,
      fillOpacity: 0.12,
      interactive: false,
    }).addTo(hereLayer);
    L.circleMarker([position.lat, position.lon], {
      radius: 7,
      color: "#ffffff",
      weight: 2,
      fillColor: "#1f6fb2",
      fillOpacity: 1,
      interactive: false,
    }).addTo(hereLayer);
  }

  /* --- Position ------------------------------------------------------------------------------- */
  function currentPosition({ timeout = 20000, maximumAge = 0 } = {}) {
    return new Promise((resolve, reject) => {
      if (!navigator.geolocation) {
        reject(Object.assign(new Error(text.geoUnsupported), { code: "unsupported" }));
        return;
      }
      navigator.geolocation.getCurrentPosition(
        (found) => {
          const position = {
            lat: found.coords.latitude,
            lon: found.coords.longitude,
            accuracy: found.coords.accuracy,
            at: new Date(found.timestamp || Date.now()).toISOString(),
          };
          drawHere(position);
          resolve(position);
        },
        (error) => {
          const message = error.code === error.PERMISSION_DENIED ? text.geoDenied : text.geoUnavailable;
          reject(Object.assign(new Error(message), { code: error.code }));
        },
        { enableHighAccuracy: true, timeout, maximumAge },
      );
    });
  }

  function showPosition() {
    const draft = state.draft;
    const template = state.template;
    show(positionWarning, "");
    if (!draft || !draft.position) {
      positionLine.textContent = draft && draft.positionError ? draft.positionError : text.noPosition;
      positionLine.dataset.accuracy = "";
      return;
    }
    const { position } = draft;
    positionLine.dataset.accuracy = String(position.accuracy);
    positionLine.textContent = `${format(text.accuracy, { accuracy: decimal.format(position.accuracy) })} · ${position.lat.toFixed(5)}, ${position.lon.toFixed(5)}`;
    const warnings = [];
    if (template && template.min_gps_accuracy_m && position.accuracy > template.min_gps_accuracy_m) {
      warnings.push(format(text.tooImprecise, { required: decimal.format(template.min_gps_accuracy_m) }));
    }
    const target = state.job ? lonLat(state.job) : null;
    if (template && template.max_distance_m && target) {
      const distance = haversine(position, target);
      if (distance > template.max_distance_m) {
        warnings.push(format(text.tooFar, { distance: distanceText(distance), max: distanceText(template.max_distance_m) }));
      }
    }
    show(positionWarning, warnings.join(" "));
  }

  async function capturePosition() {
    const draft = state.draft;
    if (!draft) {
      return;
    }
    positionLine.textContent = text.locating;
    show(positionWarning, "");
    try {
      const position = await currentPosition({ timeout: 30000, maximumAge: 0 });
      if (state.draft === draft) {
        draft.position = position;
        draft.positionError = "";
      }
    } catch (error) {
      if (state.draft === draft) {
        draft.positionError = error.message;
      }
    }
    if (state.draft === draft) {
      showPosition();
    }
  }

  $("[data-capture-position]").addEventListener("click", capturePosition);

  /* --- Photos ----------------------------------------------------------------------------------- */
  async function sha256(blob) {
    const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
    return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  /* Bytes the photo API accepts: the camera's own file when it can, otherwise a JPEG made from it. */
  async function acceptableBlob(file) {
    if (config.photoTypes.includes(file.type) && file.size <= config.maxPhotoBytes) {
      return file;
    }
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, 2560 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
    if (!blob) {
      throw new Error("encode");
    }
    return blob;
  }

  async function addPhotos(item, files, gallery, problem) {
    show(problem, "");
    const draft = state.draft;
    const unreadable = [];
    for (const file of files) {
      let blob;
      try {
        blob = await acceptableBlob(file);
      } catch (error) {
        unreadable.push(file.name);
        continue;
      }
      const photo = {
        uuid: crypto.randomUUID(),
        item: item.key,
        blob,
        type: blob.type || "image/jpeg",
        sha256: await sha256(blob),
        name: file.name,
      };
      if (state.draft !== draft) {
        return;
      }
      draft.photos.push(photo);
      draft.dirty = true;
      gallery.append(thumbnail(photo, gallery));
    }
    if (unreadable.length) {
      show(problem, unreadable.map((name) => format(text.photoUnreadable, { name })).join(" "));
    }
  }

  function thumbnail(photo, gallery) {
    const figure = element("figure", "photo-thumb");
    figure.dataset.photo = photo.uuid;
    const img = element("img");
    img.src = URL.createObjectURL(photo.blob);
    img.alt = photo.name || "";
    img.width = 96;
    img.height = 96;
    figure.append(img);
    const remove = element("button", "photo-thumb__remove", "×");
    remove.type = "button";
    remove.setAttribute("aria-label", text.removePhoto);
    remove.addEventListener("click", () => {
      state.draft.photos = state.draft.photos.filter((p) => p.uuid !== photo.uuid);
      URL.revokeObjectURL(img.src);
      figure.remove();
      gallery.dispatchEvent(new Event("change", { bubbles: true }));
    });
    figure.append(remove);
    return figure;
  }

  /* --- The checklist ----------------------------------------------------------------------------- */
  function itemHeading(item, id) {
    const legend = element("legend", "item__label");
    legend.id = id;
    legend.append(element("span", null, labelled(item)));
    if (item.required) {
      legend.append(element("span", "tag tag--required", text.required));
    }
    if (item.critical) {
      legend.append(element("span", "tag tag--critical", text.critical));
    }
    return legend;
  }

  function segmented(name, options) {
    const group = element("div", "segmented");
    for (const option of options) {
      const label = element("label", "segmented__option");
      const input = element("input");
      input.type = "radio";
      input.name = name;
      input.value = option.value;
      label.append(input, element("span", null, option.label));
      group.append(label);
    }
    return group;
  }

  function renderItem(item) {
    const fieldset = element("fieldset", "item");
    fieldset.dataset.item = item.key;
    fieldset.dataset.type = item.type;
    if (item.critical) {
      fieldset.classList.add("item--critical");
    }
    const name = `item-${item.key}`;
    const headingId = `${name}-label`;
    fieldset.append(itemHeading(item, headingId));
    const hintParts = [];
    if (item.type === "yes_no") {
      fieldset.append(
        segmented(name, [
          { value: "true", label: text.yes },
          { value: "false", label: text.no },
        ]),
      );
    } else if (item.type === "score") {
      const max = Number(item.max_score) || 0;
      fieldset.append(
        segmented(
          name,
          Array.from({ length: max + 1 }, (_, value) => ({ value: String(value), label: String(value) })),
        ),
      );
      hintParts.push(format(text.scoreRange, { max }));
    } else if (item.type === "number") {
      const input = element("input");
      input.type = "number";
      input.name = name;
      input.step = "any";
      input.inputMode = "decimal";
      input.dir = "ltr";
      input.setAttribute("aria-labelledby", headingId);
      fieldset.append(input);
      const hasMin = item.min_value !== null && item.min_value !== undefined;
      const hasMax = item.max_value !== null && item.max_value !== undefined;
      if (hasMin && hasMax) {
        hintParts.push(format(text.between, { min: decimal.format(item.min_value), max: decimal.format(item.max_value) }));
      } else if (hasMin) {
        hintParts.push(format(text.atLeast, { min: decimal.format(item.min_value) }));
      } else if (hasMax) {
        hintParts.push(format(text.atMost, { max: decimal.format(item.max_value) }));
      }
    } else if (item.type === "text") {
      const area = element("textarea");
      area.name = name;
      area.rows = 3;
      area.dir = "auto";
      area.maxLength = 4000;
      area.setAttribute("aria-labelledby", headingId);
      fieldset.append(area);
    } else if (item.type === "choice") {
      const group = element("div", "choices");
      for (const choice of item.choices || []) {
        const label = element("label", "choice");
        const input = element("input");
        input.type = "radio";
        input.name = name;
        input.value = choice.value;
        label.append(input, element("span", null, labelled(choice) || choice.value));
        group.append(label);
      }
      fieldset.append(group);
    } else if (item.type === "photo") {
      const gallery = element("div", "photo-gallery");
      gallery.dataset.gallery = item.key;
      const problem = element("p", "alert alert--error");
      problem.hidden = true;
      const label = element("label", "file-picker");
      label.append(element("span", null, text.addPhotos));
      const input = element("input", "visually-hidden");
      input.type = "file";
      input.accept = "image/*";
      input.setAttribute("capture", "environment");
      input.multiple = true;
      input.name = name;
      input.dataset.photoInput = item.key;
      label.append(input);
      input.addEventListener("change", async () => {
        const files = Array.from(input.files || []);
        input.disabled = true;
        try {
          await addPhotos(item, files, gallery, problem);
        } finally {
          input.disabled = false;
          // The same picture may be chosen again after removing it.
          input.value = "";
          fieldset.dataset.photos = String(state.draft ? state.draft.photos.filter((p) => p.item === item.key).length : 0);
        }
      });
      gallery.addEventListener("change", () => {
        fieldset.dataset.photos = String(state.draft.photos.filter((p) => p.item === item.key).length);
      });
      fieldset.dataset.photos = "0";
      fieldset.append(label, gallery, problem);
    }
    if (hintParts.length) {
      fieldset.append(element("p", "hint", hintParts.join(" · ")));
    }
    const error = element("p", "item__error");
    error.hidden = true;
    error.dataset.itemError = item.key;
    fieldset.append(error);
    return fieldset;
  }

  function readAnswer(item) {
    const name = `item-${item.key}`;
    const value = (() => {
      if (["yes_no", "score", "choice"].includes(item.type)) {
        const checked = checklist.querySelector(`input[name="${CSS.escape(name)}"]:checked`);
        return checked ? checked.value : "";
      }
      const control = checklist.querySelector(`[name="${CSS.escape(name)}"]`);
      return control && typeof control.value === "string" ? control.value : "";
    })();
    switch (item.type) {
      case "yes_no":
        return value === "" ? undefined : value === "true";
      case "score":
        return value === "" ? undefined : Number.parseInt(value, 10);
      case "number":
        if (value.trim() === "") {
          return undefined;
        }
        return Number(value.replace(",", "."));
      case "text":
        return value.trim() === "" ? undefined : value.trim();
      case "choice":
        return value === "" ? undefined : value;
      case "photo": {
        const uuids = state.draft.photos.filter((p) => p.item === item.key).map((p) => p.uuid);
        return uuids.length ? uuids : undefined;
      }
      default:
        return undefined;
    }
  }

  function problemOf(item, answer) {
    if (item.type === "number" && answer !== undefined && !Number.isFinite(answer)) {
      return text.numberNeeded;
    }
    if (item.required && answer === undefined) {
      return item.type === "photo" ? text.photoNeeded : text.answerNeeded;
    }
    return "";
  }

  function openJob(id) {
    if (state.job && state.job.id === id && !inspectionView.hidden) {
      return;
    }
    if (window.location.hash !== `#job-${id}`) {
      // The tablet's back button returns to the list.
      window.location.hash = `job-${id}`;
      return;
    }
    showJob(id);
  }

  function showJob(id) {
    show(appSaved, "");
    const job = jobById(id);
    if (!job) {
      show(appError, text.jobNotFound);
      history.replaceState(null, "", window.location.pathname);
      return;
    }
    if (doneHere().has(job.id)) {
      history.replaceState(null, "", window.location.pathname);
      return;
    }
    const template = templateFor(job);
    state.job = job;
    state.template = template;
    state.draft = {
      uuid: crypto.randomUUID(),
      startedAt: new Date().toISOString(),
      photos: [],
      position: null,
      positionError: "",
      dirty: false,
    };
    $("[data-inspection-target]").textContent = job.target ? job.target.label : `#${job.id}`;
    $("[data-inspection-template]").textContent = template ? named(template) : "";
    const meta = [named(job.district)];
    if (job.overdue) {
      meta.push(text.overdue);
    }
    $("[data-inspection-meta]").textContent = meta.filter(Boolean).join(" · ");
    inspectionView.dataset.jobId = String(job.id);
    itemsHolder.replaceChildren();
    show(formError, "");
    if (!template) {
      show(formError, text.templateMissing);
      $("[data-submit]").disabled = true;
    } else {
      $("[data-submit]").disabled = false;
      for (const item of template.items || []) {
        itemsHolder.append(renderItem(item));
      }
    }
    dayView.hidden = true;
    inspectionView.hidden = false;
    inspectionView.focus();
    window.scrollTo(0, 0);
    showPosition();
    capturePosition();
  }

  function closeJob() {
    state.job = null;
    state.template = null;
    if (state.draft) {
      for (const img of itemsHolder.querySelectorAll(".photo-thumb img")) {
        URL.revokeObjectURL(img.src);
      }
    }
    state.draft = null;
    itemsHolder.replaceChildren();
    inspectionView.hidden = true;
    dayView.hidden = false;
    // Leaflet measures its box again once it is visible.
    setTimeout(() => map.invalidateSize(), 0);
  }

  function route() {
    const wanted = /^#job-(\d+)$/.exec(window.location.hash);
    if (wanted) {
      if (!state.job || state.job.id !== Number(wanted[1])) {
        showJob(Number(wanted[1]));
      }
    } else if (state.job) {
      closeJob();
    }
  }
  window.addEventListener("hashchange", route);

  $("[data-back]").addEventListener("click", () => {
    if (state.draft && (state.draft.dirty || state.draft.photos.length) && !window.confirm(text.leaveConfirm)) {
      return;
    }
    history.replaceState(null, "", window.location.pathname);
    closeJob();
  });

  checklist.addEventListener("input", () => {
    if (state.draft) {
      state.draft.dirty = true;
    }
  });

  /* An item's complaint goes once it has been answered; the rest stay until the next attempt. */
  checklist.addEventListener("change", (event) => {
    const fieldset = event.target.closest ? event.target.closest(".item") : null;
    if (fieldset && fieldset.classList.contains("item--invalid")) {
      fieldset.classList.remove("item--invalid");
      show(fieldset.querySelector(".item__error"), "");
    }
  });

  checklist.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { job, template, draft } = state;
    if (!job || !template || !draft) {
      return;
    }
    show(formError, "");
    const answers = {};
    const problems = [];
    for (const item of template.items || []) {
      const answer = readAnswer(item);
      const problem = problemOf(item, answer);
      const holder = itemsHolder.querySelector(`[data-item-error="${CSS.escape(item.key)}"]`);
      show(holder, problem);
      holder.closest(".item").classList.toggle("item--invalid", Boolean(problem));
      if (problem) {
        problems.push(labelled(item));
      } else if (answer !== undefined) {
        answers[item.key] = answer;
      }
    }
    if (problems.length) {
      show(formError, format(text.fixItems, { items: problems.join(listSeparator) }));
      const first = itemsHolder.querySelector(".item--invalid");
      if (first) {
        first.scrollIntoView({ behavior: "smooth", block: "center" });
      }
      return;
    }
    const submit = $("[data-submit]");
    submit.disabled = true;
    const finishedAt = new Date().toISOString();
    const photos = draft.photos.filter((photo) => (answers[photo.item] || []).includes(photo.uuid));
    const payload = {
      job: job.id,
      template_version: template.version,
      answers,
      position: draft.position
        ? { lon: draft.position.lon, lat: draft.position.lat, accuracy_m: draft.position.accuracy }
        : null,
      started_at: draft.startedAt,
      finished_at: finishedAt,
      photos: photos.map((photo) => ({ uuid: photo.uuid, item: photo.item, sha256: photo.sha256 })),
    };
    try {
      await Outbox.add(
        {
          uuid: draft.uuid,
          user,
          job: job.id,
          label: job.target ? job.target.label : `#${job.id}`,
          templateName: named(template),
          finishedAt,
          photoCount: photos.length,
          payload,
        },
        photos.map((photo) => ({ uuid: photo.uuid, item: photo.item, type: photo.type, sha256: photo.sha256, blob: photo.blob })),
      );
    } catch (error) {
      show(formError, format(text.saveFailed, { reason: error.message || String(error) }));
      submit.disabled = false;
      return;
    }
    submit.disabled = false;
    history.replaceState(null, "", window.location.pathname);
    closeJob();
    await loadRecords();
    renderJobs();
    show(appSaved, text.saved);
    syncNow();
  });

  /* --- The outbox ----------------------------------------------------------------------------------- */
  async function loadRecords() {
    try {
      state.records = await Outbox.records(user);
    } catch (error) {
      state.records = [];
      show(appError, format(text.saveFailed, { reason: error.message || String(error) }));
    }
    renderRecords();
  }

  function renderRecords() {
    outboxList.replaceChildren();
    const records = state.records;
    if (!records.length) {
      outboxList.append(element("li", "outbox__empty", text.noRecords));
    }
    for (const record of records) {
      const li = element("li", `outbox-record outbox-record--${record.state}`);
      li.dataset.outboxRecord = record.uuid;
      li.dataset.state = record.state;
      li.dataset.jobId = String(record.job);
      const head = element("div", "outbox-record__head");
      head.append(element("span", "outbox-record__label", record.label));
      const badge = element("span", `badge state state--${record.state}`, text[`state_${record.state}`] || record.state);
      badge.dataset.stateLabel = record.state;
      head.append(badge);
      li.append(head);
      const meta = element("p", "outbox-record__meta");
      const parts = [record.templateName, format(text.finishedAt, { time: when(record.finishedAt) })];
      if (record.photoCount) {
        parts.push(format(text.photoCount, { count: record.photoCount }));
      }
      if (record.state === "sent" && record.result && record.result.score !== null && record.result.score !== undefined) {
        parts.push(format(text.result, { score: decimal.format(Number(record.result.score)) }));
        if (record.result.passed !== null && record.result.passed !== undefined) {
          parts.push(record.result.passed ? text.passed : text.notPassed);
        }
      }
      meta.textContent = parts.filter(Boolean).join(" · ");
      li.append(meta);
      if (record.state === "failed") {
        const reason = element("p", "outbox-record__reason", record.reason);
        reason.dataset.reason = "";
        reason.dir = "auto";
        li.append(reason);
        const retry = element("button", "button button--secondary", text.retry);
        retry.type = "button";
        retry.addEventListener("click", async () => {
          await Outbox.retry(record.uuid);
          await loadRecords();
          syncNow({ asked: true });
        });
        li.append(retry);
      }
      outboxList.append(li);
    }
    renderSummary();
  }

  function renderSummary() {
    const waiting = state.records.filter((r) => r.state === "waiting" || r.state === "sending").length;
    const failed = state.records.filter((r) => r.state === "failed").length;
    const parts = [];
    if (Outbox.isSyncing()) {
      parts.push(text.syncing);
    }
    if (state.signedOut) {
      parts.push(text.signInAgain);
    }
    if (waiting) {
      parts.push(format(text.waitingCount, { count: waiting }));
    }
    if (failed) {
      parts.push(format(text.failedCount, { count: failed }));
    }
    if (!waiting && !failed && state.records.length) {
      parts.push(text.allSent);
    }
    syncSummary.textContent = parts.join(" ");
    syncButton.disabled = Outbox.isSyncing();
  }

  /* Sends the outbox. Left alone while the browser knows it is offline, unless the inspector asks. */
  async function syncNow({ asked = false } = {}) {
    if (Outbox.isSyncing() || (!asked && !navigator.onLine)) {
      return;
    }
    const running = Outbox.sync(user, {
      api,
      urls,
      text: { photoLost: text.photoLost },
      onChange: () => {
        loadRecords();
      },
    });
    renderSummary();
    try {
      const outcome = await running;
      state.signedOut = outcome.signedOut;
      if (outcome.sent || outcome.failed) {
        // The outbox below now tells what became of it.
        show(appSaved, "");
      }
    } catch (error) {
      show(appError, error.message || String(error));
    }
    await loadRecords();
    renderJobs();
  }

  syncButton.addEventListener("click", () => {
    show(appError, "");
    syncNow({ asked: true });
  });

  /* A network that is up but does not reach the server raises no event: try again now and then, and
   * whenever the app comes back to the front. */
  const waitingRecords = () => state.records.some((r) => r.state === "waiting" || r.state === "sending");
  setInterval(() => {
    if (navigator.onLine && waitingRecords()) {
      syncNow();
    }
  }, RETRY_EVERY_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && navigator.onLine && waitingRecords()) {
      syncNow();
    }
  });

  /* Signing out: the page and the day kept for offline use belong to this inspector, so they go;
   * their waiting inspections stay (kept apart by user) and are sent when they sign in again. */
  const signOut = document.querySelector('form[action$="/logout/"]');
  if (signOut) {
    signOut.addEventListener("submit", async (event) => {
      if (signOut.dataset.ready) {
        return;
      }
      event.preventDefault();
      if (waitingRecords() && !window.confirm(text.signOutWaiting)) {
        return;
      }
      try {
        for (const name of await caches.keys()) {
          if (name.startsWith("amanah-field-")) {
            const cache = await caches.open(name);
            await cache.delete(config.scope);
            await cache.delete(new URL(config.api.today, window.location.origin).href);
          }
        }
      } catch (error) {
        // Nothing kept, or no cache storage: nothing to remove.
      }
      signOut.dataset.ready = "true";
      signOut.submit();
    });
  }

  /* --- Start ------------------------------------------------------------------------------------------ */
  async function start() {
    registerWorker();
    keepStorage();
    await loadRecords();
    await loadSavedDay();
    route();
    await refreshDay();
    route();
    syncNow();
  }

  start();
})();
