// Keyboard and focus (issue 14): after a one-click action answered in place, focus goes to the changed item
// (or, when it left the list, to the item that took its place) and the change is announced; single-key
// shortcuts, listed in the dialog that "?" opens; the phone's "log something" button opens its form.
(() => {
  const FOCUS_WINDOW_MS = 4000; // the refreshes an action triggers (timeline, board) land within this
  let pending = null;

  const ACTIONABLE = "button:not([disabled]), summary, a[href], input:not([type=hidden]), select, textarea";

  function itemOf(element) {
    return element && element.closest(".event[id], li[id], tr[id], form[id]");
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
    let target = document.getElementById(pending.id);
    if (!target && pending.nextId) target = document.getElementById(pending.nextId);
    if (!target) target = document.querySelector(pending.regionSelector) || document.getElementById("main");
    if (!target) return;
    const control = target.querySelector(ACTIONABLE);
    if (control) {
      control.focus();
    } else {
      if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
      target.focus();
    }
    target.dataset.focusedAfterAction = "1";
  }

  document.addEventListener("htmx:beforeRequest", (event) => {
    const verb = (event.detail.requestConfig && event.detail.requestConfig.verb) || "";
    if (verb.toLowerCase() !== "post") return;
    const item = itemOf(event.detail.elt);
    if (!item) return;
    const next = item.nextElementSibling && item.nextElementSibling.id ? item.nextElementSibling.id : "";
    const region = item.closest("section[id], div[id]");
    pending = {
      id: item.id,
      nextId: next,
      regionSelector: region ? `#${region.id}` : "#main",
      until: Date.now() + FOCUS_WINDOW_MS,
    };
  });

  document.addEventListener("htmx:afterSettle", () => {
    if (!pending) return;
    place();
    const target = document.getElementById(pending.id);
    if (target && !pending.announced) {
      pending.announced = true;
      const said = target.querySelector(".saved, .outcome, .event-meta");
      announce(said ? said.textContent.trim() : target.textContent.trim().slice(0, 140));
    }
  });

  // The sticky "log something" button: go to the forms and open the first one.
  document.addEventListener("click", (event) => {
    const fab = event.target.closest("[data-opens]");
    if (!fab) return;
    const box = document.querySelector(fab.dataset.opens);
    if (!box) return;
    event.preventDefault();
    box.open = true;
    box.scrollIntoView({ block: "start" });
    const summary = box.querySelector("summary");
    if (summary) summary.focus();
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
