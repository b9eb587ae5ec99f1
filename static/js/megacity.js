// Behaviour shared by every page, kept out of inline handlers so that the
// Content-Security-Policy can refuse inline script.
document.addEventListener("DOMContentLoaded", () => {
  // The language menu submits itself when changed (a button is offered without JS).
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
});
