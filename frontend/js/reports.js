// The Reports page and a report row's page (see report-rows.js). uPlot is a classic deferred script that
// runs before this module; DOMContentLoaded comes after both.
import { start } from "./report-rows.js";

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => start());
else start();
