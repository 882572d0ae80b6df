/* Helpers shared by the venue pages: names in the page's language and times in the jurisdiction's
 * own time zone (whatever zone the phone is set to). Builds on portal/map.js (window.Amanah), whose
 * REST API helper the pages use. */
(() => {
  "use strict";

  const pad = (number) => String(number).padStart(2, "0");

  function localeFor(language) {
    // Latin digits, as on the rest of the municipality's pages (and in booking numbers).
    return `${String(language || "ar").startsWith("ar") ? "ar-JO" : "en-GB"}-u-nu-latn`;
  }

  function named(obj, language) {
    if (!obj) {
      return "";
    }
    return String(language || "ar").startsWith("ar") ? obj.name_ar || obj.name_en : obj.name_en || obj.name_ar;
  }

  const { element, show, api, ApiError } = window.Amanah;

  /* --- Times in the jurisdiction's zone ------------------------------------------------------ */
  const partFormats = new Map();

  function zoneParts(instant, zone) {
    if (!partFormats.has(zone)) {
      partFormats.set(
        zone,
        new Intl.DateTimeFormat("en-US", {
          timeZone: zone,
          hourCycle: "h23",
          year: "numeric",
          month: "2-digit",
          day: "2-digit",
          hour: "2-digit",
          minute: "2-digit",
          second: "2-digit",
        }),
      );
    }
    const parts = {};
    for (const part of partFormats.get(zone).formatToParts(new Date(instant))) {
      parts[part.type] = part.value;
    }
    return {
      year: Number(parts.year),
      month: Number(parts.month),
      day: Number(parts.day),
      hour: Number(parts.hour) % 24,
      minute: Number(parts.minute),
      second: Number(parts.second),
    };
  }

  /* Minutes the zone is ahead of UTC at an instant (+180 in Amman and Riyadh). */
  function offsetMinutes(instant, zone) {
    const p = zoneParts(instant, zone);
    const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    return Math.round((wall - Math.floor(instant / 1000) * 1000) / 60000);
  }

  /* The instant (ms) of a local date ("2026-05-03") and time ("18:30") in the zone; null if unreadable. */
  function instantOf(date, time, zone) {
    const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date || "");
    const t = /^(\d{2}):(\d{2})/.exec(time || "");
    if (!d || !t) {
      return null;
    }
    const wall = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(t[1]), Number(t[2]));
    let instant = wall - offsetMinutes(wall, zone) * 60000;
    // Near a daylight-saving change the offset at the guess and at the answer can differ.
    const corrected = wall - offsetMinutes(instant, zone) * 60000;
    if (corrected !== instant) {
      instant = corrected;
    }
    return instant;
  }

  /* ISO 8601 with the zone's offset, e.g. 2026-05-03T18:30:00+03:00. */
  function isoInZone(instant, zone) {
    const p = zoneParts(instant, zone);
    const offset = offsetMinutes(instant, zone);
    const sign = offset < 0 ? "-" : "+";
    const abs = Math.abs(offset);
    return (
      `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}` +
      `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
    );
  }

  /* The local date ("YYYY-MM-DD") and time ("HH:MM") of an instant in the zone. */
  function localDate(instant, zone) {
    const p = zoneParts(instant, zone);
    return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
  }

  function localTime(instant, zone) {
    const p = zoneParts(instant, zone);
    return `${pad(p.hour)}:${pad(p.minute)}`;
  }

  /* A local date moved by whole days ("2026-05-31", 1 -> "2026-06-01"). */
  function addDays(date, days) {
    const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date || "");
    if (!d) {
      return date;
    }
    const moved = new Date(Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]) + days));
    return `${moved.getUTCFullYear()}-${pad(moved.getUTCMonth() + 1)}-${pad(moved.getUTCDate())}`;
  }

  function formatters(language, zone) {
    const locale = localeFor(language);
    const time = new Intl.DateTimeFormat(locale, {
      timeZone: zone,
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    const day = new Intl.DateTimeFormat(locale, {
      timeZone: zone,
      weekday: "long",
      day: "numeric",
      month: "long",
      year: "numeric",
    });
    // A calendar date typed in a form has no zone of its own: read it at noon UTC.
    const dateOnly = new Intl.DateTimeFormat(locale, {
      timeZone: "UTC",
      weekday: "long",
      day: "numeric",
      month: "long",
    });
    return {
      time: (instant) => time.format(new Date(instant)),
      day: (instant) => day.format(new Date(instant)),
      date: (isoDate) => dateOnly.format(new Date(`${isoDate}T12:00:00Z`)),
      number: new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }),
    };
  }

  /* What every venue page starts with: its JSON config (from json_script) and the formatters for
   * its language and the jurisdiction's zone; null when the page lacks the config. */
  function pageSetup(configId) {
    const config = Amanah.readJSON(configId);
    if (!config) {
      return null;
    }
    return {
      config,
      text: config.text,
      format: Amanah.format,
      language: config.language,
      zone: config.timeZone,
      times: formatters(config.language, config.timeZone),
    };
  }

  window.AmanahVenues = {
    pageSetup,
    ApiError,
    api,
    named,
    element,
    show,
    localeFor,
    instantOf,
    isoInZone,
    localDate,
    localTime,
    addDays,
    formatters,
  };
})();
