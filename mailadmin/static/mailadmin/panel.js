/* The panel's few scripts; every page also works without them.
   - Copy buttons ([data-copy]: the id of the element whose text they copy).
   - "Generate a password" beside the first new-password field of a form: fills every
     new-password field of the form with a random password and shows it.
   Both announce their result in #announcer (a live region; its data-* attributes hold the texts). */
(function () {
  "use strict";
  var announcer;

  function announce(text) {
    announcer.textContent = "";  // a repeated message is announced again
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function randomPassword() {
    var alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.";
    var bytes = new Uint8Array(32), groups = [], group = "";
    window.crypto.getRandomValues(bytes);
    for (var i = 0; i < bytes.length; i++) {  // 64 symbols: no modulo bias; 192 bits
      group += alphabet[bytes[i] % 64];
      if (group.length === 8) { groups.push(group); group = ""; }
    }
    return groups.join("-");
  }

  function addGenerator(field) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-outline-secondary btn-sm mt-1";
    button.textContent = announcer.dataset.generate;
    button.addEventListener("click", function () {
      var password = randomPassword();
      field.form.querySelectorAll('input[autocomplete="new-password"]').forEach(function (input) {
        input.type = "text";
        input.value = password;
      });
      announce(announcer.dataset.generated);
    });
    field.parentElement.appendChild(button);  // after the field's error and help text
  }

  function addCopy(button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = document.getElementById(button.dataset.copy).innerText.trim();
      var copying = navigator.clipboard ? navigator.clipboard.writeText(text) : Promise.reject();
      copying.then(function () { announce(announcer.dataset.copied); },
                   function () { announce(announcer.dataset.copyFailed); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    announcer = document.getElementById("announcer");
    if (!announcer) return;
    document.querySelectorAll("[data-copy]").forEach(addCopy);
    document.querySelectorAll("form").forEach(function (form) {
      var first = form.querySelector('input[autocomplete="new-password"]');
      if (first) addGenerator(first);
    });
  });
})();
