// Runs before first paint (a classic script in <head>): apply the stored theme, if any.
(function () {
  try {
    var theme = localStorage.getItem("initscope-theme");
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  } catch (e) {
    /* storage may be disabled: follow the system theme */
  }
})();
