// The dashboard's only script: JSON writes to the admin API, copy buttons, live refresh.
// Hosted checkout pages load it too; without a #live region a successful write reloads the page.
"use strict";
(function () {
  const live = document.getElementById("live");
  // inside a tenant (/t/NAME/...) every admin URL is that tenant's; the server prefixes the HTML's
  const TENANT = (location.pathname.match(/^\/t\/[a-z0-9-]+(?=\/)/) || [""])[0];

  function say(text, bad) {
    const toast = document.getElementById("toast");   // a hosted page's panel arrives after load
    if (!toast) return;
    toast.textContent = text;
    toast.className = bad ? "shown bad" : "shown";
    clearTimeout(say.timer);
    say.timer = setTimeout(() => { toast.className = ""; }, bad ? 10000 : 5000);
  }

  async function send(url, method, body) {
    const init = {method: method || "POST", credentials: "same-origin",
                  headers: {"Content-Type": "application/json", "Accept": "application/json"}};
    init.body = JSON.stringify(body || {});
    let response, answer;
    try {
      response = await fetch(url, init);
      answer = await response.json();
    } catch (err) {
      say("Request failed: " + err, true);
      return;
    }
    if (!response.ok) {
      const message = (answer && answer.error && answer.error.message) || JSON.stringify(answer);
      say(response.status + ": " + message, true);
      return;
    }
    say("Done: " + summary(answer));
    if (live) refresh(); else location.reload();
  }

  function summary(answer) {
    if (answer && answer.status && answer.changed) return "tampered copy (" + answer.changed + ") answered " + (answer.status || answer.error);
    const text = JSON.stringify(answer);
    return text.length > 160 ? text.slice(0, 160) + "…" : text;
  }

  function formBody(form) {
    const body = JSON.parse(form.dataset.body || "{}");
    for (const field of form.elements) {
      if (!field.name) continue;
      const value = field.value.trim();
      const type = field.dataset.type;
      if (value === "") { if (type === "nullable") body[field.name] = null; continue; }
      if (type === "int") body[field.name] = parseInt(value, 10);
      else if (type === "json") { try { body[field.name] = JSON.parse(value); } catch (e) { body[field.name] = value; } }
      else body[field.name] = value;   // numbers stay text: the sandbox reads them as decimals
    }
    return body;
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-post]");
    if (button) {
      event.preventDefault();
      send(button.dataset.post, button.dataset.method, JSON.parse(button.dataset.body || "{}"));
      return;
    }
    const copy = event.target.closest("button[data-copy]");
    if (copy) {
      event.preventDefault();
      const text = copy.dataset.copy;
      const done = () => say("Copied " + text);
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, () => say("Copy refused by the browser; select the text instead", true));
      } else {
        say("Select the text to copy it: " + text);
      }
    }
  });

  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form[data-post]");
    if (!form) return;
    event.preventDefault();
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    const body = formBody(form);
    for (const field of form.elements) delete field.dataset.dirty;   // sent: the new block's values win
    send(form.dataset.post, form.dataset.method, body);
  });

  // A provider's hosted page declares a slot (data-sandbox-panel); the dashboard renders what fills it.
  for (const slot of document.querySelectorAll("[data-sandbox-panel]")) {
    fetch(slot.dataset.sandboxPanel, {credentials: "same-origin"}).then(async (response) => {
      slot.innerHTML = response.ok ? await response.text()
        : "<p><strong>Sandbox</strong>: the simulate buttons are unavailable (" + response.status + ").</p>";
    }, () => { slot.innerHTML = "<p><strong>Sandbox</strong>: the simulate buttons are unavailable.</p>"; });
  }

  // Live refresh: the server says "change"; we fetch this page's #live block again.
  let busy = false, again = false;
  function inField() {
    const focused = document.activeElement;
    return !!(focused && live.contains(focused) && /^(INPUT|SELECT|TEXTAREA)$/.test(focused.tagName));
  }
  // [form index, field name, value] of every field changed since its form was drawn or sent
  function typed() {
    const kept = [];
    live.querySelectorAll("form[data-post]").forEach((form, index) => {
      for (const field of form.elements) {
        if (field.name && field.dataset.dirty) kept.push([index, field.name, field.value]);
      }
    });
    return kept;
  }
  async function refresh() {
    if (!live) return;
    if (busy) { again = true; return; }
    if (inField()) {
      again = true;   // someone is typing in the live region: wait until they leave the field
      return;
    }
    busy = true;
    try {
      const response = await fetch(location.href, {headers: {"X-Dashboard-Partial": "1"}, credentials: "same-origin"});
      if (response.ok) {
        const html = await response.text();
        // the fetch took a while: someone may have gone into a field meanwhile (wait for them
        // to leave it), or typed and left: what they typed or picked outlives the new block
        if (inField()) {
          again = true;
        } else {
          const kept = typed();
          live.innerHTML = html;
          for (const [form, name, value] of kept) {
            const field = live.querySelectorAll("form[data-post]")[form]?.elements.namedItem(name);
            if (field && "value" in field) { field.value = value; field.dataset.dirty = "1"; }
          }
        }
      } else if (response.status === 404) {
        live.innerHTML = '<p class="bad">This no longer exists (the sandbox was reset?). <a href="' + TENANT + '/_sandbox/ui/">Overview</a></p>';
      }
      const now = live.querySelector("#clock-now-full");
      const header = document.getElementById("clock-now");
      const stamp = document.querySelector("[data-now]");
      if (header && stamp) header.textContent = stamp.dataset.now;
      else if (header && now) header.textContent = now.textContent.replace("T", " ").slice(0, 19);
    } catch (err) {
      // the server went away; the event stream reconnects by itself
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }
  if (live) {
    const touched = (event) => { if (event.target.name && event.target.form) event.target.dataset.dirty = "1"; };
    live.addEventListener("input", touched);
    live.addEventListener("change", touched);
    live.addEventListener("focusout", () => { if (again) { again = false; setTimeout(refresh, 0); } });
    const state = document.getElementById("live-state");
    if (window.EventSource) {
      const stream = new EventSource(TENANT + "/_sandbox/ui/events");
      let first = true;
      stream.addEventListener("change", function () {
        if (state) state.textContent = "· live";
        if (first) { first = false; return; }   // the page was rendered with this version
        refresh();
      });
      stream.onerror = function () { if (state) state.textContent = "· reconnecting"; };
    }
  }
})();
