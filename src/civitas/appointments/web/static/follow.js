// A place in line, kept current: every 20 seconds the page is fetched again and the part
// marked data-live replaced (its aria-live region tells screen readers what changed).
// No meta refresh: a page that reloads itself takes the reader's place away.
(function () {
  "use strict";
  var live = document.querySelector("[data-live]");
  if (!live) { return; }
  function poll() {
    fetch(window.location.href, { headers: { accept: "text/html" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live]");
        if (fresh && fresh.innerHTML !== live.innerHTML) { live.innerHTML = fresh.innerHTML; }
        if (fresh && fresh.hasAttribute("data-live-stop")) { return; }
        setTimeout(poll, 20000);
      })
      .catch(function () { setTimeout(poll, 20000); });
  }
  setTimeout(poll, 20000);
})();
