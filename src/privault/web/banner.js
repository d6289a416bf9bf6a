/* privault cookie banner: plain JavaScript, no build step, no third-party requests.
 *
 * Embed with: <script src="https://privault.example/v1/tenants/TENANT/banner.js" defer></script>
 * Scripts marked <script type="text/plain" data-category="statistics"> stay inert until the visitor
 * grants that category; a withdrawal reloads the page so they stop. GPC (navigator.globalPrivacyControl
 * or the Sec-GPC header the browser sends) is honoured: marketing is never activated.
 * Google Consent Mode v2: the seven consent types are set "denied" in the dataLayer as soon as this
 * script runs (load it before any Google tag), and every choice or withdrawal sends an update.
 * UK tenants with uk_cookie_mode duaa_exemptions set statistics and preference cookies without
 * consent (PECR Sch. A1): the banner says so and offers a free, simple way to object.
 * The server inserts the tenant's configuration (categories, notice version, Consent Mode mapping,
 * exempt categories) in place of CONFIG.
 * Visitor proof: the server names the visitor in its first answer and sets the visitor's proof in an
 * HttpOnly cookie on its own origin; this script never sees the proof, it only sends its requests
 * with credentials so the browser attaches it. The id it keeps in pv_consent is public.
 */
(function (config) {
  "use strict";
  if (!config || window.__privaultBanner) { return; }
  window.__privaultBanner = true;

  window.dataLayer = window.dataLayer || [];
  function gtag() { window.dataLayer.push(arguments); }
  function consentMode(command, on) {
    var state = {};
    config.types.forEach(function (t) { state[t] = "denied"; });
    Object.keys(config.gcm).forEach(function (key) {
      if (on(key)) { config.gcm[key].forEach(function (t) { state[t] = "granted"; }); }
    });
    if (command === "default") { state.wait_for_update = config.wait; }
    gtag("consent", command, state);
  }
  consentMode("default", function () { return false; });

  var COOKIE = "pv_consent";
  var HONOURED = "Opt-Out Request Honored";  // 11 CCR 7025(c)(6)
  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src).origin : location.origin;
  var api = base + "/v1/tenants/" + encodeURIComponent(config.tenant) + "/cookie-consent";
  var cross = base !== location.origin;
  var gpc = navigator.globalPrivacyControl === true;
  var optional = config.categories.filter(function (c) { return c.key !== "necessary"; });
  var exempt = optional.filter(function (c) { return config.exempt.indexOf(c.key) >= 0; });
  var asked = optional.filter(function (c) { return config.exempt.indexOf(c.key) < 0; });
  var granted = {};
  var root = null;
  var seq = 0;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function visitorId() {
    var found = document.cookie.match(/(?:^|;\s*)pv_consent=([A-Za-z0-9_-]{16,64})/);
    return found ? found[1] : "new";
  }
  var visitor = visitorId();

  function adopt(id) {
    if (!id || id === visitor) { return; }
    visitor = id;
    var secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = COOKIE + "=" + id + "; Path=/; Max-Age=34128000; SameSite=Lax" + secure;
  }

  function allowed(key) { return granted[key] === true && !(gpc && key === "marketing"); }

  function activate() {
    var inert = document.querySelectorAll('script[type="text/plain"][data-category]');
    Array.prototype.forEach.call(inert, function (old) {
      if (!allowed(old.getAttribute("data-category"))) { return; }
      var live = document.createElement("script");
      Array.prototype.forEach.call(old.attributes, function (a) {
        if (a.name !== "type") { live.setAttribute(a.name, a.value); }
      });
      if (old.getAttribute("data-type")) { live.type = old.getAttribute("data-type"); }
      live.text = old.text;
      old.parentNode.replaceChild(live, old);
    });
  }

  function apply(choices) {
    var withdrawn = Object.keys(granted).some(function (k) {
      return granted[k] === true && choices[k] !== true;
    });
    granted = choices;
    consentMode("update", allowed);
    if (withdrawn) { location.reload(); return; }
    activate();
  }

  function close() {
    if (root && root.parentNode) { root.parentNode.removeChild(root); }
    root = null;
  }

  function shown(prefs) {
    var words = prefs === "notice" ? told() + " Object | Preferences | OK"
      : prefs ? "Preferences: " + optional.map(function (c) { return c.name; }).join(", ") + "; Save"
      : "Accept all | Reject all | Preferences" + (exempt.length ? "; " + told() : "");
    return ("banner " + (config.notice || "-") + ": " + words + (gpc ? "; " + HONOURED : "")).slice(0, 500);
  }

  function send(method, choices, prefs, status) {
    status.textContent = "Saving…";
    var body = { visitor: visitor, method: method, choices: choices || {},
                 notice_version: config.notice, shown: shown(prefs) };
    var type = cross ? "text/plain" : "application/json";  // text/plain: no CORS preflight
    return fetch(api, { method: "POST", headers: { "Content-Type": type }, credentials: "include",
                        body: JSON.stringify(body) })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (answer) {
        close();
        apply(answer.choices || {});
        document.dispatchEvent(new CustomEvent("privault:consent", { detail: answer }));
      })
      .catch(function () { status.textContent = "Your choice could not be saved. Please try again."; });
  }

  function every(value) {
    var out = {};
    optional.forEach(function (c) { out[c.key] = value && !(gpc && c.key === "marketing"); });
    return out;
  }

  function button(label, onClick) {
    var b = el("button", { type: "button", "class": "pv-btn" }, label);
    b.addEventListener("click", onClick);
    return b;
  }

  function preferences(box, status) {
    var form = el("fieldset", { "class": "pv-prefs" });
    form.appendChild(el("legend", {}, "Cookie categories"));
    config.categories.forEach(function (c) {
      var id = "pv-cat-" + c.key + "-" + seq;
      var row = el("div", { "class": "pv-row" });
      var input = el("input", { type: "checkbox", id: id, name: c.key });
      var locked = c.key === "necessary" || (gpc && c.key === "marketing");
      input.checked = c.key === "necessary" || (!locked && granted[c.key] === true);
      if (config.exempt.indexOf(c.key) >= 0) { input.checked = granted[c.key] !== false; }
      input.disabled = locked;
      var label = el("label", { "for": id }, c.name + (c.key === "necessary" ? " (always on)" : "")
        + (locked && c.key === "marketing" ? " (off: " + HONOURED + ")" : ""));
      row.appendChild(input);
      row.appendChild(label);
      if (c.description) { row.appendChild(el("p", { "class": "pv-desc" }, c.description)); }
      form.appendChild(row);
    });
    var save = button("Save", function () {
      var choices = {};
      optional.forEach(function (c) { choices[c.key] = form.querySelector('[name="' + c.key + '"]').checked; });
      send("save", choices, true, status);
    });
    box.replaceChild(form, box.querySelector(".pv-actions"));
    var actions = el("div", { "class": "pv-actions" });
    actions.appendChild(save);
    form.parentNode.insertBefore(actions, form.nextSibling);
    form.querySelector("input:not([disabled])") ? form.querySelector("input:not([disabled])").focus() : save.focus();
  }

  function style() {
    if (document.getElementById("pv-style")) { return; }
    var css = ".pv-banner{position:fixed;left:1rem;right:1rem;bottom:1rem;z-index:2147483647;max-width:40rem;"
      + "margin:0 auto;padding:1.25rem;background:#fff;color:#1a1a1a;border:2px solid #1a1a1a;border-radius:.5rem;"
      + "font:16px/1.5 system-ui,sans-serif;box-shadow:0 4px 16px rgba(0,0,0,.25)}"
      + ".pv-banner:focus{outline:3px solid #005fcc;outline-offset:2px}"
      + ".pv-banner h2{font-size:1.2rem;margin:0 0 .5rem}.pv-banner p{margin:0 0 .75rem}"
      + ".pv-gpc{font-weight:700;color:#0b5e1a}"
      + ".pv-actions{display:flex;flex-wrap:wrap;gap:.5rem}"
      + ".pv-btn{font:inherit;font-size:1rem;padding:.5rem 1rem;margin:0;min-width:8rem;background:#1f3a5f;"
      + "color:#fff;border:2px solid #1f3a5f;border-radius:.25rem;cursor:pointer}"
      + ".pv-btn:focus-visible{outline:3px solid #005fcc;outline-offset:2px}"
      + ".pv-btn:hover{background:#16304f}"
      + ".pv-prefs{border:0;margin:0 0 .75rem;padding:0}.pv-prefs legend{font-weight:700;padding:0}"
      + ".pv-row{margin:.25rem 0}.pv-row input{width:1.1rem;height:1.1rem;margin-right:.5rem}"
      + ".pv-row input:focus-visible{outline:3px solid #005fcc;outline-offset:2px}"
      + ".pv-desc{font-size:.9rem;margin:0 0 0 1.6rem!important;color:#333}";
    var node = el("style", { id: "pv-style" });
    node.textContent = css;
    document.head.appendChild(node);
  }

  function open() {
    close();
    style();
    seq += 1;
    root = el("div", { "class": "pv-banner", role: "dialog", tabindex: "-1",
                       "aria-labelledby": "pv-title-" + seq, "aria-describedby": "pv-text-" + seq });
    root.appendChild(el("h2", { id: "pv-title-" + seq }, "Cookies on this site"));
    root.appendChild(el("p", { id: "pv-text-" + seq }, "We use necessary cookies to make this site work."
      + (exempt.length ? " " + told() : "")
      + (asked.length ? " With your permission we would also use " + names(asked) + " cookies. Nothing "
        + (exempt.length ? "else" : "optional") + " runs until you choose, and you can change your mind"
        + " at any time." : "")));
    if (gpc) { root.appendChild(el("p", { "class": "pv-gpc" }, HONOURED)); }
    var status = el("p", { "class": "pv-status", role: "status", "aria-live": "polite" });
    var actions = el("div", { "class": "pv-actions" });
    actions.appendChild(button("Accept all", function () {
      if (gpc) { send("save", every(true), false, status); } else { send("accept", null, false, status); }
    }));
    actions.appendChild(button("Reject all", function () { send("reject", null, false, status); }));
    actions.appendChild(button("Preferences", function () { preferences(root, status); }));
    root.appendChild(actions);
    root.appendChild(status);
    root.addEventListener("keydown", function (e) { if (e.key === "Escape") { close(); } });
    document.body.appendChild(root);
    root.focus();
  }

  function names(list) { return list.map(function (c) { return c.name.toLowerCase(); }).join(", "); }

  function told() {
    return "We also use " + names(exempt) + " cookies without asking, as UK law allows (PECR Sch. A1):"
      + " they only count visits to improve this site and remember your settings. You can object at any"
      + " time, free of charge.";
  }

  function objection(keep) {
    var choices = {};
    optional.forEach(function (c) {
      choices[c.key] = config.exempt.indexOf(c.key) >= 0 ? keep : granted[c.key] === true;
    });
    return choices;
  }

  function inform() {
    style();
    root = el("div", { "class": "pv-banner", role: "region", "aria-label": "Cookies on this site" });
    root.appendChild(el("p", { "class": "pv-text" }, told()));
    if (gpc) { root.appendChild(el("p", { "class": "pv-gpc" }, HONOURED)); }
    var status = el("p", { "class": "pv-status", role: "status", "aria-live": "polite" });
    var actions = el("div", { "class": "pv-actions" });
    actions.appendChild(button("Object", function () { send("save", objection(false), "notice", status); }));
    actions.appendChild(button("Preferences", function () { preferences(root, status); }));
    actions.appendChild(button("OK", function () { send("save", objection(true), "notice", status); }));
    root.appendChild(actions);
    root.appendChild(status);
    document.body.appendChild(root);
  }

  function notify() {
    var note = el("div", { "class": "pv-banner", role: "status" });
    note.appendChild(el("p", { "class": "pv-gpc" }, HONOURED));
    note.appendChild(button("Close", function () { note.parentNode.removeChild(note); }));
    style();
    document.body.appendChild(note);
  }

  function start() {
    fetch(api + "/" + encodeURIComponent(visitor), { credentials: "include" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (answer) {
        adopt(answer.visitor);
        gpc = gpc || answer.gpc === true;
        if (answer.reask) {
          if (exempt.length) { apply(answer.choices || {}); }
          open();
          return;
        }
        apply(answer.choices || {});
        if (answer.notice) { inform(); } else if (gpc) { notify(); }
      })
      .catch(open);
  }

  window.privault = { openPreferences: function () { open(); preferences(root, root.querySelector(".pv-status")); } };
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-privault-preferences]")) {
      e.preventDefault();
      window.privault.openPreferences();
    }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})(/*CONFIG*/null);
