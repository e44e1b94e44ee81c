// Runs before first paint (a classic script in <head>): apply the stored theme, if any.
try {
  const theme = localStorage.getItem("initscope-theme");
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
} catch {
  // storage may be disabled: follow the system theme
}
