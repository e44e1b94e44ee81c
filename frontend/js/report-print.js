// The compare and incident report pages: local times (time.js), the incident report's waterfalls
// (waterfall.js: zoom, bar details and keys; static, a report does not go live) and its "Print / Save as
// PDF" button, which is the browser's own print (incident.css holds the print stylesheet).
import { localizeTimes } from "./time.js";
import { Waterfall } from "./waterfall.js";

/** Set up the page under `root`; returns the waterfalls. `print` is the browser's print by default. */
export function setUpReportPage(root, { print = () => window.print() } = {}) {
  localizeTimes(root);
  const waterfalls = [...root.querySelectorAll("section.wf")].map((el) => new Waterfall(el).init());
  for (const button of root.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => print());
  }
  return waterfalls;
}

if (document.querySelector("main")) {
  const waterfalls = setUpReportPage(document);
  window.addEventListener("resize", () =>
    requestAnimationFrame(() => {
      for (const w of waterfalls) w.render();
    }),
  );
}
