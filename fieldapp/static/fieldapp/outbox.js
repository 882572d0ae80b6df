/* The tablet's own store (IndexedDB): the day's jobs and checklists, and the outbox of finished
 * inspections with their photos, and the sync that empties the outbox.
 *
 * The rule the sync keeps: nothing leaves the tablet before the server has confirmed it holds the
 * inspection and every photo (`complete: true`). Every send is repeatable — the inspection and its
 * photos are keyed by UUIDs made on the tablet — so a cut connection, a crash or a reload at any
 * point only means sending again.
 *
 * Record states: waiting -> sending -> sent, or failed (the server refused it; kept, with the reason).
 */
(() => {
  "use strict";

  const DB_NAME = "amanah-field";
  const DB_VERSION = 1;
  const LOCK_NAME = "amanah-field-outbox";

  function settle(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function finished(transaction) {
    return new Promise((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onabort = () => reject(transaction.error || new Error("transaction aborted"));
      transaction.onerror = () => reject(transaction.error);
    });
  }

  let opening = null;

  function database() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, DB_VERSION);
        request.onupgradeneeded = () => {
          const db = request.result;
          // One saved day per user: a shared tablet keeps each inspector's jobs apart.
          db.createObjectStore("days", { keyPath: "user" });
          const outbox = db.createObjectStore("outbox", { keyPath: "uuid" });
          outbox.createIndex("user", "user");
          const photos = db.createObjectStore("photos", { keyPath: "uuid" });
          photos.createIndex("inspection", "inspection");
        };
        request.onsuccess = () => {
          const db = request.result;
          // A newer version of the app opened in another tab: let it upgrade the store.
          db.onversionchange = () => db.close();
          resolve(db);
        };
        request.onerror = () => reject(request.error);
      });
    }
    return opening;
  }

  async function run(stores, mode, work) {
    const db = await database();
    const transaction = db.transaction(stores, mode);
    const done = finished(transaction);
    let result;
    try {
      result = await work(transaction);
    } catch (error) {
      try {
        transaction.abort();
      } catch (ignored) {
        // Already finished: nothing left to undo.
      }
      await done.catch(() => {});
      throw error;
    }
    await done;
    return result;
  }

  /* --- The day's jobs and checklists ---------------------------------------------------------- */
  function saveDay(user, day) {
    return run(["days"], "readwrite", (tx) => {
      tx.objectStore("days").put({ user, savedAt: new Date().toISOString(), day });
    });
  }

  function loadDay(user) {
    return run(["days"], "readonly", (tx) => settle(tx.objectStore("days").get(user)));
  }

  /* --- The outbox ------------------------------------------------------------------------------- */

  /* A finished inspection and its photos, stored together or not at all. */
  function add(record, photos) {
    return run(["outbox", "photos"], "readwrite", (tx) => {
      tx.objectStore("outbox").add({ ...record, state: "waiting", reason: "", updatedAt: new Date().toISOString() });
      for (const photo of photos) {
        tx.objectStore("photos").add({ ...photo, inspection: record.uuid });
      }
    });
  }

  async function records(user) {
    const found = await run(["outbox"], "readonly", (tx) =>
      settle(tx.objectStore("outbox").index("user").getAll(user)),
    );
    return found.sort((a, b) => (a.finishedAt < b.finishedAt ? 1 : -1));
  }

  function update(uuid, changes) {
    return run(["outbox"], "readwrite", async (tx) => {
      const store = tx.objectStore("outbox");
      const record = await settle(store.get(uuid));
      if (record) {
        store.put({ ...record, ...changes, updatedAt: new Date().toISOString() });
      }
      return record;
    });
  }

  function photo(uuid) {
    return run(["photos"], "readonly", (tx) => settle(tx.objectStore("photos").get(uuid)));
  }

  function photosOf(inspectionUuid) {
    return run(["photos"], "readonly", (tx) =>
      settle(tx.objectStore("photos").index("inspection").getAll(inspectionUuid)),
    );
  }

  /* The server holds everything: keep the record as sent, drop the photos' bytes. */
  function markSent(uuid, result) {
    return run(["outbox", "photos"], "readwrite", async (tx) => {
      const store = tx.objectStore("outbox");
      const record = await settle(store.get(uuid));
      if (!record) {
        return;
      }
      const now = new Date().toISOString();
      store.put({ ...record, state: "sent", reason: "", result, sentAt: now, updatedAt: now });
      const keys = await settle(tx.objectStore("photos").index("inspection").getAllKeys(uuid));
      for (const key of keys) {
        tx.objectStore("photos").delete(key);
      }
    });
  }

  /* --- Sending ---------------------------------------------------------------------------------- */

  /* Why a refusal is not the record's fault: the network, the server, or a session that ended. */
  function transient(error) {
    return error.offline || error.status >= 500 || error.status === 408 || error.status === 429;
  }

  function signedOut(error) {
    // Not signed in any more (401), or a session whose CSRF token no longer matches (403 "CSRF").
    return error.status === 401 || (error.status === 403 && /csrf/i.test(error.message || ""));
  }

  function reasonOf(error) {
    const details = error.details;
    if (!details || typeof details !== "object") {
      return error.message;
    }
    const parts = [];
    const walk = (value, key) => {
      if (Array.isArray(value)) {
        value.forEach((entry) => walk(entry, key));
      } else if (value && typeof value === "object") {
        Object.entries(value).forEach(([k, v]) => walk(v, k));
      } else if (value !== null && value !== undefined) {
        parts.push(key ? `${key}: ${value}` : String(value));
      }
    };
    walk(details, "");
    const extra = parts.filter((part) => !error.message.includes(part));
    return extra.length ? `${error.message} (${extra.join("; ")})` : error.message;
  }

  function summary(stored) {
    return {
      score: stored.score === undefined ? null : stored.score,
      passed: stored.passed === undefined ? null : stored.passed,
      flags: stored.flags || [],
    };
  }

  /**
   * Send every waiting record of `user`, one after the other.
   *
   * options: api (url, {method, body, contentType}) -> JSON; urls.inspection(uuid); urls.photo(uuid,
   * photoUuid); onChange() after each state change; text.photoLost. Resolves to {sent, failed,
   * waiting, signedOut, offline}.
   */
  async function sendAll(user, { api, urls, onChange = () => {}, text = {} }) {
    const outcome = { sent: 0, failed: 0, waiting: 0, signedOut: false, offline: false };
    const pending = (await records(user)).filter((r) => r.state === "waiting" || r.state === "sending");
    // Oldest first: the order the inspector finished them.
    pending.reverse();
    for (let index = 0; index < pending.length; index += 1) {
      const record = pending[index];
      await update(record.uuid, { state: "sending", reason: "" });
      onChange();
      try {
        let stored = await api(urls.inspection(record.uuid), { method: "PUT", body: record.payload });
        if (!stored.complete) {
          for (const photoUuid of stored.missing_photos || []) {
            const held = await photo(photoUuid);
            if (!held) {
              // Cannot happen while the rule above holds; said plainly if the store was tampered with.
              throw Object.assign(new Error(text.photoLost || "photo missing"), { status: 410 });
            }
            // Each photo's answer is the inspection again, with what is still missing.
            stored = await api(urls.photo(record.uuid, photoUuid), {
              method: "PUT",
              body: held.blob,
              contentType: held.type,
            });
          }
          if (!stored.complete) {
            stored = await api(urls.inspection(record.uuid));
          }
        }
        if (stored.complete) {
          await markSent(record.uuid, summary(stored));
          outcome.sent += 1;
        } else {
          await update(record.uuid, { state: "waiting" });
          outcome.waiting += 1;
        }
      } catch (error) {
        if (transient(error) || signedOut(error)) {
          // Nothing wrong with the record: it waits for the network, the server or a new sign-in.
          await update(record.uuid, { state: "waiting", reason: "" });
          outcome.waiting += pending.length - index;
          outcome.signedOut = signedOut(error);
          outcome.offline = Boolean(error.offline);
          onChange();
          break;
        }
        // The server refused it (a 4xx): kept on the tablet with the server's reason.
        await update(record.uuid, { state: "failed", reason: reasonOf(error), status: error.status || 0 });
        outcome.failed += 1;
      }
      onChange();
    }
    return outcome;
  }

  /* One sync at a time, across the app's tabs too (Web Locks where the browser has them). */
  let running = null;

  function sync(user, options) {
    if (running) {
      return running;
    }
    const work = () => sendAll(user, options);
    running = (navigator.locks ? navigator.locks.request(LOCK_NAME, work) : work()).finally(() => {
      running = null;
    });
    return running;
  }

  /* A failed record goes back to the queue, for when the cause was outside the record. */
  function retry(uuid) {
    return update(uuid, { state: "waiting", reason: "" });
  }

  window.AmanahOutbox = {
    saveDay,
    loadDay,
    add,
    records,
    photosOf,
    retry,
    sync,
    isSyncing: () => running !== null,
  };
})();
