// The resources page (/reports/resources/): times in the viewer's time zone, as on every page.
import { localizeTimes } from "./time.js";

localizeTimes();
