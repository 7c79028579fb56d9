// Toasts (templates/crm/undo.html): dismiss on demand, or after 20 s unless the pointer or focus is in one,
// so an "Undo" stays reachable for at least that long and never vanishes under the keyboard.
(() => {
  const LIFETIME_MS = 20000;

  function schedule(toast) {
    if (toast.dataset.scheduled) return;
    toast.dataset.scheduled = "1";
    const tryRemove = () => {
      if (toast.matches(":hover") || toast.contains(document.activeElement)) {
        setTimeout(tryRemove, 2000);
      } else {
        toast.remove();
      }
    };
    setTimeout(tryRemove, LIFETIME_MS);
  }

  function scan() {
    document.querySelectorAll("[data-toast]").forEach(schedule);
  }

  document.addEventListener("click", (event) => {
    const close = event.target.closest("[data-toast-close]");
    if (close) close.closest("[data-toast]").remove();
  });
  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:oobAfterSwap", scan);
  document.addEventListener("htmx:afterSettle", scan);
})();
