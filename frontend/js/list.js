// The Pod list page: local times, ticking "in step" durations, filters that apply on change, and live
// rows (list-live.js).
import { LiveList } from "./list-live.js";
import { localizeTimes, tickDurations } from "./time.js";

localizeTimes();
tickDurations();

for (const el of document.querySelectorAll("[data-autosubmit]")) {
  el.addEventListener("change", () => {
    const form = el.form;
    if (!form) return;
    if (el.name === "cluster" && form.elements.namespace) form.elements.namespace.value = "";
    form.requestSubmit();
  });
}

// Leave out empty parameters so shared URLs stay short: ?status=Init%3AError rather than ?cluster=&...
for (const form of document.querySelectorAll("form.filters")) {
  form.addEventListener("formdata", (event) => {
    for (const [key, value] of [...event.formData.entries()]) {
      if (value === "") event.formData.delete(key);
    }
  });
}

const holder = document.querySelector("[data-list-fragment-url]");
if (holder) window.initscopeLive = new LiveList(holder.dataset.listFragmentUrl).start();
