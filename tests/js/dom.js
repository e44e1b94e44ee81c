// A DOM for the unit tests (happy-dom), registered as the globals the modules use in a browser.
// Import it first in every test file.
import { GlobalRegistrator } from "@happy-dom/global-registrator";

if (!globalThis.happyDOM) GlobalRegistrator.register({ url: "http://initscope.test/" });

/** Replace the page's body with `markup` and return the body. */
export function page(markup) {
  document.body.innerHTML = markup;
  return document.body;
}

/** A fetch that answers `body` (a string, or an object sent as JSON) with `status`; records the calls. */
export function fakeFetch(body, { status = 200, redirectedTo = null } = {}) {
  const calls = [];
  const fetch = async (url, options) => {
    calls.push({ url: String(url), options });
    const text = typeof body === "string" ? body : JSON.stringify(body);
    return {
      ok: status >= 200 && status < 300,
      status,
      redirected: Boolean(redirectedTo),
      url: redirectedTo || new URL(url, location.href).href,
      text: async () => text,
      json: async () => JSON.parse(text),
    };
  };
  fetch.calls = calls;
  return fetch;
}

/** A viewport the test moves: install before importing the module under test; every
 * IntersectionObserver it makes then reports what `report(el, isIntersecting)` says (to the observers
 * that observe `el`). */
export function fakeViewport() {
  const observers = [];
  globalThis.IntersectionObserver = class {
    constructor(callback) {
      this.callback = callback;
      this.targets = new Set();
      observers.push(this);
    }
    observe(el) {
      this.targets.add(el);
    }
    unobserve(el) {
      this.targets.delete(el);
    }
  };
  const report = (el, isIntersecting) => {
    for (const observer of observers) {
      if (observer.targets.has(el)) observer.callback([{ target: el, isIntersecting }], observer);
    }
  };
  return { observers, report };
}
