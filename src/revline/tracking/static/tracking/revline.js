/*! Revline website snippet v1: page views and CTA clicks, sent in batches to /t/collect.
 *
 * <script async src="https://crm.example.com/t/revline.js"></script>
 *   data-consent="required"    record nothing and set no cookie until revline.consent(true)
 *   data-cookie-domain=".example.com"   share the visitor cookie across subdomains
 *
 * Mark calls to action with data-revline-cta="Label". From your own code:
 *   revline.track("Pricing: start trial", {plan: "pro"})   a custom CTA click
 *   revline.page()        a page view (single-page apps, after a route change)
 *   revline.consent(true | false)     give or withdraw consent (false also deletes the cookie)
 * Before the snippet has loaded: window.revline = window.revline || []; revline.push(["consent", true]);
 */
(function (window, document) {
  "use strict";
  var VERSION = "1";
  var COOKIE = "revline_vid";
  var OPT_OUT = "revline_optout";
  var COOKIE_AGE = 365 * 24 * 3600;
  var FLUSH_MS = 5000;
  var RETRY_MAX_MS = 60000;
  var BATCH_MAX = 20;
  var QUEUE_MAX = 200;
  var BODY_MAX = 60000;
  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"];
  var COMMANDS = ["consent", "track", "page", "flush"];

  var preload = window.revline;
  if (preload && preload.version) return;
  if (!window.fetch || !window.Promise || !/^https?:$/.test(location.protocol)) return;
  var script = document.currentScript || document.querySelector('script[src*="/t/revline.js"]');
  if (!script || !script.src) return;

  // Relative to the script, so a Revline served under a path prefix works too.
  var endpoint = new URL("collect", script.src).href;
  var needsConsent = script.getAttribute("data-consent") === "required";
  var cookieDomain = script.getAttribute("data-cookie-domain") || "";
  if (!/^\.?[A-Za-z0-9.-]+$/.test(cookieDomain)) cookieDomain = "";

  var active = false;
  var consented = false;
  var visitorId = null;
  // The visitor id a Revline tracked link put in this URL (rl_vid): adopted as this visitor's
  // id when there is none yet, else sent once so that the server joins the two.
  var linkVisitorId = linkVisitorParam();
  var pageRecorded = false;
  var queue = [];
  var inflight = null;
  var pending = [];
  var timer = null;
  var due = 0;
  var retryMs = FLUSH_MS;

  function uuid4() {
    var c = window.crypto;
    if (c && c.randomUUID) {
      try { return c.randomUUID(); } catch (e) { /* insecure context: fall through */ }
    }
    var b = new Uint8Array(16), i, h = [];
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    for (i = 0; i < 16; i++) h.push((b[i] + 0x100).toString(16).slice(1));
    h = h.join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" +
      h.slice(16, 20) + "-" + h.slice(20);
  }

  function clip(value, max) {
    var text = String(value == null ? "" : value).replace(/[\u0000-\u001f\u007f]+/g, " ");
    text = text.replace(/^\s+|\s+$/g, "");
    if (text.length > max) {
      text = text.slice(0, max);
      var last = text.charCodeAt(max - 1);
      if (last >= 0xd800 && last <= 0xdbff) text = text.slice(0, -1);
    }
    return text.toWellFormed ? text.toWellFormed() : text;
  }

  function cleanUrl(value) {
    var text = String(value || "");
    if (!/^https?:\/\/[^/]/i.test(text)) return "";
    return clip(text.replace(/\\/g, "%5C").replace(/ /g, "%20"), 2000);
  }

  function cookie(name) {
    var parts = document.cookie ? document.cookie.split(/;\s*/) : [];
    for (var i = 0; i < parts.length; i++) {
      if (parts[i].indexOf(name + "=") === 0) return parts[i].slice(name.length + 1);
    }
    return null;
  }

  function setCookie(name, value, maxAge) {
    var parts = [name + "=" + value, "Path=/", "Max-Age=" + maxAge, "SameSite=Lax"];
    if (cookieDomain) parts.push("Domain=" + cookieDomain);
    if (location.protocol === "https:") parts.push("Secure");
    try { document.cookie = parts.join("; "); } catch (e) { /* cookies blocked: id lives in memory */ }
  }

  function storedId() {
    var value = cookie(COOKIE);
    return isUuid(value) ? value : null;
  }

  function isUuid(value) {
    return !!value && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
  }

  function linkVisitorParam() {
    var params = new URLSearchParams(location.search);
    var value = params.get("rl_vid");
    if (value === null) return null;
    params.delete("rl_vid");
    if (window.history && history.replaceState) {
      var query = params.toString();
      try {
        history.replaceState(history.state, "",
          location.pathname + (query ? "?" + query : "") + location.hash);
      } catch (e) { /* sandboxed frame: the parameter just stays visible */ }
    }
    return isUuid(value) ? value.toLowerCase() : null;
  }

  // A visitor id for a browser that has none: the one from the link when there is one.
  function newId() {
    var id = linkVisitorId || uuid4();
    linkVisitorId = null;
    return id;
  }

  function utm() {
    var params = new URLSearchParams(location.search), values = {}, any = false;
    for (var i = 0; i < UTM.length; i++) {
      var value = clip(params.get(UTM[i]), 100);
      if (value) { values[UTM[i]] = value; any = true; }
    }
    return any ? values : null;
  }

  function cleanProps(props) {
    var clean = {}, count = 0;
    if (!props || typeof props !== "object") return null;
    for (var key in props) {
      if (!Object.prototype.hasOwnProperty.call(props, key) || count >= 10) continue;
      if (!/^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(key)) continue;
      var value = props[key];
      if (typeof value === "string") value = clip(value, 200);
      else if (typeof value === "number" && !(isFinite(value) && Math.abs(value) < 1e15)) continue;
      else if (typeof value !== "number" && typeof value !== "boolean") continue;
      clean[key] = value;
      count++;
    }
    return count ? clean : null;
  }

  function byteLength(text) {
    return window.TextEncoder ? new TextEncoder().encode(text).length : text.length * 3;
  }

  function record(type, label, props) {
    if (!active) return;
    var event = { id: uuid4(), type: type, ts: Date.now(), url: cleanUrl(location.href) };
    if (!event.url) return;
    var referrer = cleanUrl(document.referrer);
    var title = clip(document.title, 300);
    var values = utm();
    if (referrer) event.referrer = referrer;
    if (title) event.title = title;
    if (values) event.utm = values;
    if (label) event.label = label;
    if (props) event.props = props;
    queue.push(event);
    if (queue.length > QUEUE_MAX) queue.splice(0, queue.length - QUEUE_MAX);
    schedule(type === "page_view" || queue.length >= BATCH_MAX ? 0 : FLUSH_MS);
  }

  function recordPage() {
    pageRecorded = true;
    record("page_view");
  }

  function schedule(ms) {
    var at = Date.now() + ms;
    if (timer !== null && due <= at) return;
    clearTimeout(timer);
    due = at;
    timer = setTimeout(function () { timer = null; send(); }, ms);
  }

  function take() {
    var events = [], size = 200;
    while (queue.length && events.length < BATCH_MAX) {
      var n = byteLength(JSON.stringify(queue[0])) + 1;
      if (events.length && size + n > BODY_MAX) break;
      size += n;
      events.push(queue.shift());
    }
    return events;
  }

  function body(events) {
    var data = { visitor_id: visitorId, consent: consented, events: events };
    if (linkVisitorId && linkVisitorId !== visitorId) data.link_visitor_id = linkVisitorId;
    return JSON.stringify(data);
  }

  // Sends one batch; a network error, 429 or 5xx puts it back (same ids, so a retry that the
  // server had in fact stored is ignored there). Any other answer settles the batch.
  function send() {
    if (inflight || !active || !queue.length) return inflight || Promise.resolve();
    var events = take();
    pending = events;
    inflight = fetch(endpoint, {
      method: "POST", body: body(events), credentials: "omit", mode: "cors",
      headers: { "Content-Type": "text/plain;charset=UTF-8" }
    }).then(function (response) {
      if (response.status === 429 || response.status >= 500) throw new Error("retry");
      if (response.ok) linkVisitorId = null;
      retryMs = FLUSH_MS;
      return true;
    }).catch(function () {
      if (active) queue = events.concat(queue).slice(0, QUEUE_MAX);
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      return false;
    }).then(function (ok) {
      inflight = null;
      pending = [];
      if (queue.length) schedule(!ok ? retryMs : queue.length >= BATCH_MAX ? 0 : FLUSH_MS);
      return ok;
    });
    return inflight;
  }

  function flushAll() {
    clearTimeout(timer);
    timer = null;
    return (inflight || Promise.resolve(true)).then(function loop(ok) {
      if (!ok || !active || !queue.length) return;
      return send().then(loop);
    });
  }

  // The page is going away: hand everything (the in-flight batch too) to the browser.
  function beacon() {
    if (!active) return;
    clearTimeout(timer);
    timer = null;
    queue = pending.concat(queue);
    while (queue.length) {
      var payload = body(take()), sent = false;
      try {
        sent = navigator.sendBeacon &&
          navigator.sendBeacon(endpoint, new Blob([payload], { type: "text/plain;charset=UTF-8" }));
      } catch (e) { sent = false; }
      if (!sent) {
        try {
          fetch(endpoint, { method: "POST", body: payload, keepalive: true, credentials: "omit",
            mode: "cors", headers: { "Content-Type": "text/plain;charset=UTF-8" } });
        } catch (e) { /* nothing more we can do while unloading */ }
      }
    }
  }

  function consent(granted) {
    if (granted) {
      setCookie(OPT_OUT, "", 0);
      visitorId = visitorId || storedId() || newId();
      setCookie(COOKIE, visitorId, COOKIE_AGE);
      consented = true;
      if (!active) {
        active = true;
        if (!pageRecorded) recordPage();
      }
      return;
    }
    active = false;
    consented = false;
    queue = [];
    clearTimeout(timer);
    timer = null;
    visitorId = null;
    setCookie(COOKIE, "", 0);
    // Without a consent requirement the absence of a cookie means "track": remember the refusal.
    if (!needsConsent) setCookie(OPT_OUT, "1", COOKIE_AGE);
  }

  var api = {
    version: VERSION,
    consent: function (granted) { consent(!!granted); },
    track: function (name, props) {
      record("cta_click", clip(name, 200) || "custom", cleanProps(props));
    },
    page: function () { recordPage(); },
    flush: function () { return flushAll(); },
    visitorId: function () { return active ? visitorId : null; },
    push: function (command) {
      if (command && COMMANDS.indexOf(command[0]) >= 0) api[command[0]].apply(api, command.slice(1));
    }
  };
  window.revline = api;

  document.addEventListener("click", function (event) {
    var target = event.target;
    var el = target && target.closest ? target.closest("[data-revline-cta]") : null;
    if (el) record("cta_click", clip(el.getAttribute("data-revline-cta") || el.textContent, 200));
  }, true);
  window.addEventListener("pagehide", beacon);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") beacon();
  });

  if (needsConsent) {
    // Consent given on an earlier page is remembered by the cookie itself.
    visitorId = storedId();
    active = consented = visitorId !== null;
  } else if (cookie(OPT_OUT) !== "1") {
    visitorId = storedId() || newId();
    setCookie(COOKIE, visitorId, COOKIE_AGE);
    active = true;
  }
  if (active) recordPage();
  if (preload && preload.length) {
    for (var i = 0; i < preload.length; i++) api.push(preload[i]);
  }
})(window, document);
