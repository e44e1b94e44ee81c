// The Pod list page: local times, ticking "in step" durations, filters that apply on change, and live
// rows (list-live.js).
import { LiveList } from "./list-live.js";
import { connectLive, startFreshness } from "./live.js";
import { localizeTimes } from "./time.js";

localizeTimes();
let list = null;
// Durations tick (stopped at a stale cluster's last known time) and the indicator follows the freshness of
// the clusters shown; a change of it re-fetches the rows.
const freshness = startFreshness({ onChange: () => list?.refresh() });

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
// A cluster's watch health changed (`clusters.changed`): ask the server at once what that means.
const connect = (options) =>
  connectLive({
    ...options,
    onMessage: (message) => {
      if (message.type === "clusters.changed") freshness.check();
      else options.onMessage?.(message);
    },
  });
if (holder) {
  list = new LiveList(holder.dataset.listFragmentUrl, { connect });
  window.initscopeLive = list.start();
}
