// Keyboard and focus (issue 14): after a one-click action answered in place, focus goes to the changed item
// (or, when it left the list, to the item that took its place) and the change is announced; single-key
// shortcuts, listed in the dialog that "?" opens; the phone's "log something" button opens its form.
(() => {
  const FOCUS_WINDOW_MS = 4000; // the refreshes an action triggers (timeline, board) land within this
  let pending = null;

  const ACTIONABLE = "button:not([disabled]), summary, a[href], input:not([type=hidden]), select, textarea";

  // Where the acted-on thing lives, as selectors from the narrowest (the item) to its region.
  function anchorsOf(element) {
    const anchors = [];
    const item = element.closest(".event[id], li[id], tr[id]");
    if (item) {
      anchors.push(`#${CSS.escape(item.id)}`);
      const next = item.nextElementSibling;
      if (next && next.id) anchors.push(`#${CSS.escape(next.id)}`);
    }
    const group = element.closest("[data-group]");
    if (group) anchors.push(`[data-group="${CSS.escape(group.dataset.group)}"]`);
    const region = element.closest("section[id], div[id]:not(#main)");
    if (region) anchors.push(`#${CSS.escape(region.id)}`);
    return anchors;
  }

  function announce(text) {
    const region = document.getElementById("announcer");
    if (!region || !text) return;
    region.textContent = "";
    // A change of content after a tick: screen readers announce a live region's new text.
    setTimeout(() => { region.textContent = text; }, 50);
  }

  function place() {
    if (!pending || Date.now() > pending.until) { pending = null; return; }
    const active = document.activeElement;
    if (active && active !== document.body && document.contains(active) && active.closest("main")) return;
    for (const selector of pending.anchors) {
      const target = document.querySelector(selector);
      if (!target) continue;
      const control = target.querySelector(ACTIONABLE);
      if (control) {
        control.focus();
      } else {
        if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
        target.focus();
      }
      target.dataset.focusedAfterAction = "1";
      if (!pending.announced) {
        pending.announced = true;
        const said = document.querySelector("#toasts .toast-text") || target.querySelector(".saved, .outcome");
        announce(said ? said.textContent.trim() : "");
      }
      return;
    }
  }

  document.addEventListener("htmx:beforeRequest", (event) => {
    const verb = (event.detail.requestConfig && event.detail.requestConfig.verb) || "";
    if (verb.toLowerCase() !== "post") return;
    const anchors = anchorsOf(event.detail.elt);
    if (!anchors.length) return;
    pending = { anchors, until: Date.now() + FOCUS_WINDOW_MS, announced: false };
  });

  document.addEventListener("htmx:afterSettle", place);

  // The sticky "log something" button: go to the forms and open the first one.
  document.addEventListener("click", (event) => {
    const fab = event.target.closest("[data-opens]");
    if (!fab) return;
    const box = document.querySelector(fab.dataset.opens);
    if (!box) return;
    event.preventDefault();
    // Once its form is in (fetched on first opening), bring it into view and put the cursor in its first
    // field; the browser's scroll anchoring would otherwise keep the content below in place and push it up.
    const ready = () => {
      box.scrollIntoView({ block: "start" });
      const form = box.querySelector("form");
      const field = (form && form.querySelector(ACTIONABLE)) || box.querySelector("summary");
      if (field) field.focus({ preventScroll: true });
    };
    if (box.querySelector("form")) {
      box.open = true;
      ready();
      return;
    }
    box.addEventListener("htmx:afterSettle", ready, { once: true });
    box.open = true;
    box.scrollIntoView({ block: "start" });
  });

  document.addEventListener("click", (event) => {
    const close = event.target.closest("[data-dialog-close]");
    if (close) close.closest("dialog").close();
  });

  // Shortcuts: one key, never while typing, never with a modifier.
  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable=true]");
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const dialog = document.getElementById("shortcuts");
    if (event.key === "?") {
      if (dialog && !dialog.open) { event.preventDefault(); dialog.showModal(); }
      return;
    }
    if (dialog && dialog.open) return;
    const link = document.querySelector(`[data-shortcut="${CSS.escape(event.key)}"]`);
    if (!link) return;
    event.preventDefault();
    if (link.matches("input, select, textarea")) { link.focus(); return; }
    link.click();
  });
})();
