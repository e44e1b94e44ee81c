// The theme toggle: flips between light and dark. Choosing the system's own theme forgets the choice
// (back to following prefers-color-scheme); choosing the other one is stored in localStorage.
const KEY = "initscope-theme";
const media = window.matchMedia("(prefers-color-scheme: dark)");

function system() {
  return media.matches ? "dark" : "light";
}

function effective() {
  return document.documentElement.dataset.theme || system();
}

function label(button) {
  const pinned = Boolean(document.documentElement.dataset.theme);
  const text = `Colour theme: ${effective()}${pinned ? "" : " (system)"}. Switch to ${effective() === "dark" ? "light" : "dark"}`;
  button.setAttribute("aria-label", text);
  button.title = text;
}

function choose(theme) {
  const root = document.documentElement;
  const follow = theme === system();
  if (follow) delete root.dataset.theme;
  else root.dataset.theme = theme;
  try {
    if (follow) localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, theme);
  } catch {
    /* not stored; still applied to this page */
  }
}

const buttons = document.querySelectorAll("[data-theme-toggle]");
for (const button of buttons) {
  label(button);
  button.addEventListener("click", () => {
    choose(effective() === "dark" ? "light" : "dark");
    buttons.forEach(label);
  });
}
media.addEventListener("change", () => buttons.forEach(label));
