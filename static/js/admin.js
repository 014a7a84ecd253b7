// The admin's tabular inlines scroll sideways inside their box on a phone (Django's div.wrapper):
// a keyboard user must be able to reach and scroll them, so each becomes a focusable region named
// after its inline's heading (WCAG 2.1.1; axe's scrollable-region-focusable).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".inline-related.tabular div.wrapper").forEach((box, i) => {
    const heading = box.closest(".inline-group")?.querySelector("h2");
    box.setAttribute("role", "region");
    box.setAttribute("tabindex", "0");
    if (heading) {
      heading.id ||= `inline-heading-${i}`;
      box.setAttribute("aria-labelledby", heading.id);
    }
  });
});
