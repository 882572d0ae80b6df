/* The supervisor's overview of a day's inspections: the jobs on a map coloured by state, the totals,
 * each inspector's progress, the overdue jobs and the inspections that failed a critical item.
 * Reads the inspections API (/api/v1/inspections/overview/ and /jobs/), which keeps each dispatcher
 * to their districts. */
(() => {
  "use strict";

  const config = Amanah.readJSON("overview-config");
  if (!config) {
    return;
  }
  const text = config.text;
  const { format, element, show } = Amanah;
  const arabic = config.language.startsWith("ar");
  const locale = `${arabic ? "ar-JO" : "en-GB"}-u-nu-latn`;
  const listSeparator = arabic ? "، " : ", ";
  const $ = (selector, root = document) => root.querySelector(selector);
  const named = (obj) => (obj ? (arabic ? obj.name_ar || obj.name_en : obj.name_en || obj.name_ar) : "");
  const calendarDate = new Intl.DateTimeFormat(locale, { timeZone: "UTC", weekday: "long", day: "numeric", month: "long" });
  const dateText = (iso) => (iso ? calendarDate.format(new Date(`${iso}T12:00:00Z`)) : "");
  const decimal = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });

  const COLOURS = { assigned: "#1f6fb2", done: "#1e7b46", overdue: "#b3261e", cancelled: "#6b7773" };
  const STATES = ["assigned", "done", "overdue", "cancelled"];

  const api = (url) => Amanah.api(url, { language: config.language, text });

  const errorBox = $("[data-overview-error]");
  const dateInput = $("[data-date]");
  const jobCount = $("[data-job-count]");

  /* --- Map ------------------------------------------------------------------------------------ */
  const created = Amanah.createMap($("#overview-map"), config.map);
  const map = created.map;
  const jobLayer = L.featureGroup().addTo(map);
  created.ready.catch(() => show(errorBox, text.outlinesFailed));

  /* A job's colour on the map: overdue wins over its stored status. */
  function stateOf(job) {
    if (job.status === "cancelled") {
      return "cancelled";
    }
    if (job.status === "done") {
      return "done";
    }
    return job.overdue ? "overdue" : "assigned";
  }

  function inspectorName(inspector) {
    if (!inspector) {
      return text.unassigned;
    }
    return inspector.full_name || inspector.username || `#${inspector.id}`;
  }

  function jobTitle(job) {
    const label = job.target && job.target.label ? job.target.label : "";
    return label ? `#${job.id} · ${label}` : format(text.jobTitle, { id: job.id });
  }

  function point(job) {
    const location = job.target && job.target.location;
    if (!location || !Array.isArray(location.coordinates)) {
      return null;
    }
    return [Number(location.coordinates[1]), Number(location.coordinates[0])];
  }

  function drawJobs(jobs) {
    jobLayer.clearLayers();
    for (const job of jobs) {
      const at = point(job);
      if (!at) {
        continue;
      }
      const jobState = stateOf(job);
      const marker = L.circleMarker(at, {
        radius: 9,
        color: "#ffffff",
        weight: 2,
        fillColor: COLOURS[jobState],
        fillOpacity: 0.95,
        className: `job-marker job-marker--${jobState}`,
      });
      const lines = [jobTitle(job), text[jobState], format(text.inspectorOf, { name: inspectorName(job.inspector) })];
      if (job.district) {
        lines.push(named(job.district));
      }
      marker.bindTooltip(lines.filter(Boolean).join(" · "), { direction: "top" });
      marker.addTo(jobLayer);
    }
    if (jobLayer.getLayers().length) {
      created.ready.finally(() => map.fitBounds(jobLayer.getBounds(), { padding: [28, 28], maxZoom: 15 }));
    }
  }

  /* --- Lists ------------------------------------------------------------------------------------ */
  function listEntry(title, meta) {
    const li = element("li");
    li.append(element("span", "overview-list__title", title));
    if (meta) {
      li.append(element("span", "overview-list__meta", meta));
    }
    return li;
  }

  function renderTotals(counts) {
    for (const name of STATES) {
      $(`[data-total="${name}"]`).textContent = String(counts[name] || 0);
    }
  }

  function renderProgress(rows) {
    const body = $("[data-progress-rows]");
    body.replaceChildren();
    if (!rows.length) {
      const tr = element("tr");
      const td = element("td", "overview-list__empty", text.noInspectors);
      td.colSpan = 4;
      tr.append(td);
      body.append(tr);
      return;
    }
    for (const row of rows) {
      const tr = element("tr");
      tr.dataset.inspector = String(row.id);
      const name = element("th", null, inspectorName(row));
      name.scope = "row";
      tr.append(name);
      tr.append(element("td", null, String(row.assigned || 0)));
      tr.append(element("td", null, String(row.done || 0)));
      tr.append(element("td", row.overdue ? "is-overdue" : null, String(row.overdue || 0)));
      body.append(tr);
    }
  }

  function renderOverdue(jobs) {
    const list = $("[data-overdue]");
    list.replaceChildren();
    if (!jobs.length) {
      list.append(element("li", "overview-list__empty", text.noOverdue));
    }
    for (const job of jobs) {
      const meta = [format(text.due, { date: dateText(job.due_date) }), format(text.inspectorOf, { name: inspectorName(job.inspector) }), named(job.district)];
      const li = listEntry(jobTitle(job), meta.filter(Boolean).join(" · "));
      li.dataset.jobId = String(job.id);
      list.append(li);
    }
  }

  function renderFailures(entries) {
    const list = $("[data-failed]");
    list.replaceChildren();
    if (!entries.length) {
      list.append(element("li", "overview-list__empty", text.noFailures));
    }
    for (const entry of entries) {
      // An entry names its job by id, with the job's target, district and inspector beside it.
      const job = { id: entry.job, target: entry.target, district: entry.district, inspector: entry.inspector };
      const meta = [format(text.inspectorOf, { name: inspectorName(entry.inspector) }), named(entry.district)];
      if (entry.score !== undefined && entry.score !== null) {
        meta.push(format(text.score, { score: decimal.format(Number(entry.score)) }));
      }
      const failed = (entry.failed_critical || []).map((key) => itemLabel(entry.template, key));
      if (failed.length) {
        meta.push(format(text.failedItems, { items: failed.join(listSeparator) }));
      }
      const li = listEntry(jobTitle(job), meta.filter(Boolean).join(" · "));
      li.dataset.jobId = String(entry.job);
      li.dataset.inspection = String(entry.inspection || "");
      list.append(li);
    }
  }

  /* --- Checklist items by name ------------------------------------------------------------------ */
  // The current version of each checklist, to name a failed item by its question rather than its key.
  const labels = new Map();

  async function loadLabels() {
    try {
      for (const version of await api(config.api.templates)) {
        for (const item of version.items || []) {
          labels.set(`${version.code}/${version.version}/${item.key}`, arabic ? item.label_ar || item.label_en : item.label_en || item.label_ar);
        }
      }
    } catch (error) {
      // The keys are shown instead.
    }
  }

  function itemLabel(template, key) {
    return (template && labels.get(`${template.code}/${template.version}/${key}`)) || key;
  }

  /* --- Loading --------------------------------------------------------------------------------- */
  /* A job as the API's GeoJSON gives it: its properties (which repeat the target's location). */
  const jobsOf = (collection) => ((collection && collection.features) || []).map((feature) => feature.properties);

  async function dayJobs(date) {
    const jobs = [];
    const limit = 500;
    // Pages are followed to the end; a day of a jurisdiction is a few hundred jobs at most.
    for (let offset = 0; ; offset += limit) {
      const page = jobsOf(await api(`${config.api.jobs}?${new URLSearchParams({ date, limit, offset })}`));
      jobs.push(...page);
      if (page.length < limit) {
        return jobs;
      }
    }
  }

  async function load(date) {
    show(errorBox, "");
    jobCount.textContent = text.loading;
    let overview;
    let jobs;
    try {
      [overview, jobs] = await Promise.all([
        api(`${config.api.overview}?${new URLSearchParams({ date })}`),
        dayJobs(date),
        labels.size ? null : loadLabels(),
      ]);
    } catch (error) {
      show(errorBox, error.message);
      jobCount.textContent = "";
      return;
    }
    const overdue = jobsOf(overview.overdue && overview.overdue.jobs);
    // On today's map the jobs left over from earlier days are shown too: they are today's work.
    const shown = [...jobs];
    if (date === overview.today) {
      const seen = new Set(jobs.map((job) => job.id));
      shown.push(...overdue.filter((job) => !seen.has(job.id)));
    }
    const byStatus = (overview.jobs && overview.jobs.by_status) || {};
    renderTotals({
      assigned: byStatus.assigned,
      done: byStatus.done,
      cancelled: byStatus.cancelled,
      overdue: overview.overdue ? overview.overdue.count : overdue.length,
    });
    jobCount.textContent = jobs.length
      ? format(text.jobCount, { count: jobs.length, date: dateText(date) })
      : text.noJobs;
    document.body.dataset.jobsShown = String(shown.length);
    drawJobs(shown);
    renderProgress(overview.inspectors || []);
    renderOverdue(overdue);
    renderFailures(overview.failed_critical || []);
  }

  $("[data-date-form]").addEventListener("submit", (event) => {
    event.preventDefault();
    if (dateInput.value) {
      history.replaceState(null, "", `?date=${dateInput.value}`);
      load(dateInput.value);
    }
  });

  const asked = new URLSearchParams(window.location.search).get("date");
  if (asked && /^\d{4}-\d{2}-\d{2}$/.test(asked)) {
    dateInput.value = asked;
  }
  load(dateInput.value || config.today);
})();
