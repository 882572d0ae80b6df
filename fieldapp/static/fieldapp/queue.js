/* The dispatcher's queue: filters, list and map of the requests, and the actions on one request.
 * Everything goes through the staff REST API (/api/v1/requests/…) with the session and the CSRF
 * token; the API's own error messages are shown as they come. */
(() => {
  "use strict";

  const config = Amanah.readJSON("queue-config");
  if (!config) {
    return;
  }
  const text = config.text;
  const format = Amanah.format;
  const { element, show } = Amanah;
  const arabic = config.language.startsWith("ar");
  // Latin digits, as on the rest of the municipality's pages (and in request numbers).
  const locale = `${arabic ? "ar-JO" : "en-GB"}-u-nu-latn`;
  const PAGE_SIZE = 50;
  const statusLabels = Object.fromEntries(config.statuses.map((s) => [s.value, s.label]));
  const openStatuses = new Set(config.openStatuses);
  const requestsUrl = config.api.requests;

  const dateFormat = new Intl.DateTimeFormat(locale, {
    timeZone: config.timeZone,
    dateStyle: "medium",
    timeStyle: "short",
  });
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });

  const $ = (selector, root = document) => root.querySelector(selector);
  const filtersForm = $("[data-filters]");
  const list = $("[data-items]");
  const countLine = $("[data-count]");
  const moreButton = $("[data-more]");
  const queueError = $("[data-queue-error]");
  const detail = $("[data-detail]");

  const state = { items: [], count: 0, selectedId: null, inspectors: null, markers: new Map(), firstLoad: true };

  /* --- Small helpers ------------------------------------------------------------------------ */
  const named = (obj) => (obj ? (arabic ? obj.name_ar || obj.name_en : obj.name_en || obj.name_ar) : "");
  const serviceName = (item) =>
    arabic ? item.service_name_ar || item.service_name_en : item.service_name_en || item.service_name_ar;
  const when = (iso) => (iso ? dateFormat.format(new Date(iso)) : "");

  function age(iso) {
    const minutes = Math.max(1, Math.round((Date.now() - new Date(iso).getTime()) / 60000));
    if (minutes < 60) {
      return relative.format(-minutes, "minute");
    }
    if (minutes < 60 * 24) {
      return relative.format(-Math.round(minutes / 60), "hour");
    }
    return relative.format(-Math.round(minutes / (60 * 24)), "day");
  }

  /* The shared API helper (Amanah.api in portal/map.js) with this page's language and sentences. */
  const api = (url, { method = "GET", body } = {}) =>
    Amanah.api(url, { method, body, language: config.language, text });

  /* --- Map ------------------------------------------------------------------------------------ */
  const created = Amanah.createMap($("#queue-map"), config.map);
  const map = created.map;
  const markerLayer = L.featureGroup().addTo(map);
  const STATUS_COLOURS = {
    new: "#1f6fb2",
    assigned: "#7a4cc2",
    in_progress: "#b26a00",
    resolved: "#1e7b46",
    duplicate: "#6b7773",
    not_actionable: "#6b7773",
    referred: "#6b7773",
  };

  function markerStyle(item, selected) {
    return {
      radius: selected ? 11 : 7,
      color: item.overdue ? "#b3261e" : "#ffffff",
      weight: item.overdue || selected ? 3 : 2,
      fillColor: STATUS_COLOURS[item.status] || "#1f6fb2",
      fillOpacity: 0.95,
    };
  }

  function drawMarkers() {
    markerLayer.clearLayers();
    state.markers.clear();
    for (const item of state.items) {
      const marker = L.circleMarker([item.lat, item.lon], markerStyle(item, item.id === state.selectedId));
      marker.bindTooltip(`#${item.id} · ${serviceName(item)}`, { direction: "top" });
      marker.on("click", () => select(item.id));
      marker.addTo(markerLayer);
      state.markers.set(item.id, marker);
    }
  }

  /* --- Filters ------------------------------------------------------------------------------- */
  const categorySelect = $("[data-category-filter]");
  for (const category of config.categories) {
    categorySelect.append(new Option(category.name, category.code));
  }
  const districtSelect = $("[data-district-filter]");

  function fillDistricts(districts) {
    const sorted = [...districts].sort((a, b) => a.name.localeCompare(b.name, locale));
    for (const district of sorted) {
      districtSelect.append(new Option(district.name, district.code));
    }
  }
  if (config.districts.length) {
    fillDistricts(config.districts);
  }
  created.ready
    .then((collection) => {
      if (!config.districts.length) {
        fillDistricts(
          collection.features.map((f) => ({ code: f.properties.code, name: named(f.properties) })),
        );
      }
    })
    .catch(() => show(queueError, text.outlinesFailed));

  function queryString(offset) {
    const data = new FormData(filtersForm);
    const params = new URLSearchParams();
    const statuses = data.getAll("status");
    if (statuses.length) {
      params.set("status", statuses.join(","));
    }
    for (const name of ["category", "district", "overdue"]) {
      const value = data.get(name);
      if (value) {
        params.set(name, value);
      }
    }
    params.set("limit", String(PAGE_SIZE));
    params.set("offset", String(offset));
    return params.toString();
  }

  /* --- The list ------------------------------------------------------------------------------ */
  function renderItem(item) {
    const li = element("li");
    const button = element("button", "queue-item");
    button.type = "button";
    button.dataset.requestId = String(item.id);
    button.setAttribute("aria-pressed", String(item.id === state.selectedId));
    if (item.overdue) {
      button.classList.add("queue-item--overdue");
    }

    const top = element("span", "queue-item__top");
    top.append(element("span", "queue-item__id", `#${item.id}`));
    top.append(element("span", `badge badge--${item.status}`, statusLabels[item.status] || item.status));
    if (item.overdue) {
      top.append(element("span", "badge badge--late", text.overdue));
    }
    const ageNode = element("time", "queue-item__age", age(item.requested_at));
    ageNode.dateTime = item.requested_at;
    ageNode.title = when(item.requested_at);
    top.append(ageNode);
    button.append(top);

    button.append(element("span", "queue-item__service", serviceName(item)));
    const meta = element("span", "queue-item__meta");
    meta.append(element("span", null, named(item.district)));
    meta.append(element("span", null, item.assigned_to ? item.assigned_to.username : text.unassigned));
    button.append(meta);
    button.addEventListener("click", () => select(item.id));
    li.append(button);
    return li;
  }

  function renderList() {
    list.replaceChildren(...state.items.map(renderItem));
    if (!state.items.length) {
      list.append(element("li", "queue-empty", text.empty));
    }
    countLine.textContent = format(text.count, { shown: state.items.length, count: state.count });
    moreButton.hidden = state.items.length >= state.count;
  }

  async function loadQueue({ append = false } = {}) {
    show(queueError, "");
    countLine.textContent = text.loading;
    try {
      const page = await api(`${requestsUrl}?${queryString(append ? state.items.length : 0)}`);
      state.items = append ? state.items.concat(page.results) : page.results;
      state.count = page.count;
    } catch (error) {
      show(queueError, error.message);
      countLine.textContent = "";
      return;
    }
    renderList();
    drawMarkers();
    if (state.firstLoad && state.items.length) {
      state.firstLoad = false;
      // After the outlines have framed the city, frame the requests instead.
      created.ready.finally(() => {
        map.fitBounds(markerLayer.getBounds(), { padding: [24, 24], maxZoom: 15 });
      });
    }
  }

  filtersForm.addEventListener("submit", (event) => {
    event.preventDefault();
    loadQueue();
  });
  filtersForm.addEventListener("reset", () => {
    // The form's own reset restores the defaults first; then load with them.
    setTimeout(() => loadQueue(), 0);
  });
  moreButton.addEventListener("click", () => loadQueue({ append: true }));

  /* --- One request ----------------------------------------------------------------------------- */
  const detailError = $("[data-detail-error]", detail);
  const detailSaved = $("[data-detail-saved]", detail);
  const forms = {
    assign: $("[data-action=assign]", detail),
    status: $("[data-action=status]", detail),
    merge: $("[data-action=merge]", detail),
  };

  function setText(name, value) {
    $(`[data-text="${name}"]`, detail).textContent = value || "—";
  }

  function contactLine(contact) {
    if (!contact) {
      return text.noContact;
    }
    const name = [contact.first_name, contact.last_name].filter(Boolean).join(" ");
    const parts = [name, contact.email, contact.phone].filter(Boolean);
    return parts.length ? parts.join(" · ") : text.noContact;
  }

  async function loadInspectors() {
    if (state.inspectors === null) {
      state.inspectors = await api(config.api.inspectors);
    }
    return state.inspectors;
  }

  async function fillAssignForm(item) {
    const select = forms.assign.elements.inspector;
    const open = openStatuses.has(item.status);
    Array.from(forms.assign.elements).forEach((control) => {
      control.disabled = !open;
    });
    try {
      const inspectors = await loadInspectors();
      select.replaceChildren(new Option(text.chooseInspector, ""));
      for (const inspector of inspectors) {
        const label = inspector.full_name ? `${inspector.full_name} (${inspector.username})` : inspector.username;
        const option = new Option(label, String(inspector.id));
        option.selected = Boolean(item.assigned_to && item.assigned_to.id === inspector.id);
        select.append(option);
      }
    } catch (error) {
      show(detailError, error.message);
    }
  }

  function fillStatusForm(item) {
    const select = forms.status.elements.status;
    // Duplicates are made by merging, never by a status change.
    const targets = (config.transitions[item.status] || []).filter((s) => s !== "duplicate");
    select.replaceChildren(new Option(targets.length ? text.chooseStatus : text.noTransitions, ""));
    for (const target of targets) {
      select.append(new Option(statusLabels[target] || target, target));
    }
    Array.from(forms.status.elements).forEach((control) => {
      control.disabled = !targets.length;
    });
    forms.status.elements.note.value = "";
    forms.status.elements.public.checked = false;
  }

  function fillMergeForm(item) {
    const holder = $("[data-duplicates]", detail);
    holder.replaceChildren();
    const candidates = item.likely_duplicates || [];
    if (!candidates.length) {
      holder.append(element("p", "hint", text.noDuplicates));
    }
    for (const id of candidates) {
      const button = element("button", "chip-button", format(text.mergeInto, { id }));
      button.type = "button";
      button.addEventListener("click", () => {
        forms.merge.elements.into.value = String(id);
        forms.merge.elements.into.focus();
      });
      holder.append(button);
    }
    forms.merge.elements.into.value = "";
    // A request merged already cannot be merged again (the service says why if tried).
    Array.from(forms.merge.elements).forEach((control) => {
      control.disabled = item.status === "duplicate";
    });
  }

  function renderHistory(item) {
    const holder = $("[data-history]", detail);
    holder.replaceChildren();
    for (const change of [...(item.history || [])].reverse()) {
      const li = element("li", "timeline__item");
      const head = element("div", "timeline__head");
      const time = element("time", null, when(change.changed_at));
      time.dateTime = change.changed_at;
      head.append(time);
      const from = change.from_status ? `${statusLabels[change.from_status] || change.from_status} ← ` : "";
      const arrow = arabic ? from : from.replace("←", "→");
      head.append(element("span", "timeline__status", arrow + (statusLabels[change.to_status] || change.to_status)));
      if (change.changed_by) {
        head.append(element("span", "timeline__by", format(text.by, { name: change.changed_by })));
      }
      li.append(head);
      if (change.note) {
        const note = element("p", "timeline__note", change.note);
        note.dir = "auto";
        li.append(note);
        li.append(
          element(
            "span",
            `tag ${change.public ? "tag--public" : "tag--staff"}`,
            change.public ? text.publicNote : text.staffNote,
          ),
        );
      }
      holder.append(li);
    }
  }

  function renderDetail(item) {
    detail.hidden = false;
    detail.dataset.requestId = String(item.id);
    setText("title", format(text.requestTitle, { id: item.id }));
    setText("service", serviceName(item));
    const badge = $("[data-badge=status]", detail);
    badge.className = `badge badge--${item.status}`;
    badge.textContent = statusLabels[item.status] || item.status;
    $("[data-badge=overdue]", detail).hidden = !item.overdue;
    setText("district", named(item.district));
    setText("department", named(item.department));
    setText("requested", `${when(item.requested_at)} (${age(item.requested_at)})`);
    setText("expected", when(item.expected_at));
    setText("assigned", item.assigned_to ? item.assigned_to.username : text.unassigned);
    setText("address", item.address);
    setText("description", item.description);
    setText("contact", contactLine(item.contact));
    $("[data-merged]", detail).hidden = !item.duplicate_of;
    setText("duplicateOf", item.duplicate_of ? `#${item.duplicate_of}` : "");
    const thumbnail = $("[data-thumbnail]", detail);
    if (item.photo_thumbnail_url) {
      thumbnail.src = item.photo_thumbnail_url;
      thumbnail.hidden = false;
    } else {
      thumbnail.hidden = true;
      thumbnail.removeAttribute("src");
    }
    fillStatusForm(item);
    fillMergeForm(item);
    fillAssignForm(item);
    renderHistory(item);
  }

  function markSelected() {
    list.querySelectorAll(".queue-item").forEach((button) => {
      button.setAttribute("aria-pressed", String(Number(button.dataset.requestId) === state.selectedId));
    });
    for (const item of state.items) {
      const marker = state.markers.get(item.id);
      if (marker) {
        marker.setStyle(markerStyle(item, item.id === state.selectedId));
        if (item.id === state.selectedId) {
          marker.bringToFront();
        }
      }
    }
  }

  async function select(id) {
    state.selectedId = id;
    markSelected();
    show(detailError, "");
    show(detailSaved, "");
    history.replaceState(null, "", `#${id}`);
    let item;
    try {
      item = await api(`${requestsUrl}${id}/`);
    } catch (error) {
      detail.hidden = false;
      setText("title", format(text.requestTitle, { id }));
      show(detailError, error.message);
      return;
    }
    if (state.selectedId !== id) {
      return;
    }
    renderDetail(item);
    const marker = state.markers.get(id);
    if (marker) {
      map.panTo(marker.getLatLng());
    }
    if (window.matchMedia("(max-width: 900px)").matches) {
      detail.scrollIntoView({ behavior: "smooth", block: "start" });
    }
  }

  $("[data-close]", detail).addEventListener("click", () => {
    state.selectedId = null;
    detail.hidden = true;
    history.replaceState(null, "", window.location.pathname);
    markSelected();
  });

  /* --- Actions ------------------------------------------------------------------------------- */
  async function act(kind, payload, form) {
    show(detailError, "");
    show(detailSaved, "");
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    try {
      const updated = await api(`${requestsUrl}${state.selectedId}/${kind}/`, { method: "POST", body: payload });
      state.selectedId = updated.id;
      renderDetail(updated);
      show(detailSaved, text.saved);
      await loadQueue();
      markSelected();
    } catch (error) {
      show(detailError, error.message);
    } finally {
      submit.disabled = false;
    }
  }

  forms.assign.addEventListener("submit", (event) => {
    event.preventDefault();
    const inspector = Number(forms.assign.elements.inspector.value);
    if (!inspector) {
      forms.assign.elements.inspector.focus();
      return;
    }
    act("assign", { inspector, note: forms.assign.elements.note.value }, forms.assign);
  });

  forms.status.addEventListener("submit", (event) => {
    event.preventDefault();
    const status = forms.status.elements.status.value;
    if (!status) {
      forms.status.elements.status.focus();
      return;
    }
    act(
      "status",
      { status, note: forms.status.elements.note.value, public: forms.status.elements.public.checked },
      forms.status,
    );
  });

  forms.merge.addEventListener("submit", (event) => {
    event.preventDefault();
    const into = Number(forms.merge.elements.into.value);
    if (!into) {
      forms.merge.elements.into.focus();
      return;
    }
    if (!window.confirm(format(text.mergeConfirm, { id: state.selectedId, into }))) {
      return;
    }
    act("merge", { into }, forms.merge);
  });

  /* --- Start --------------------------------------------------------------------------------- */
  loadQueue().then(() => {
    const wanted = /^#(\d+)$/.exec(window.location.hash);
    if (wanted) {
      select(Number(wanted[1]));
    }
  });
})();
