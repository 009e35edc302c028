/* Bootstrap's colour mode follows the system setting (light or dark), also when it changes.
   Loaded in <head> before the page is drawn; without JavaScript the panel stays light. */
(function () {
  "use strict";
  var dark = window.matchMedia("(prefers-color-scheme: dark)");
  function follow() { document.documentElement.setAttribute("data-bs-theme", dark.matches ? "dark" : "light"); }
  follow();
  dark.addEventListener("change", follow);
})();
