// Copy buttons (the client's page's link): copy the value of the field the button names, then say so.
(() => {
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const field = document.querySelector(button.dataset.copy);
    if (!field) return;
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      document.execCommand("copy"); // older browsers, or a page not served over HTTPS
    }
    button.textContent = button.dataset.copied;
  });
})();
