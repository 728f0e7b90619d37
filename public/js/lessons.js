// Gin Shop — lesson pages: what document.cookie sees, and times in the visitor's own zone.
// Loaded with <script src="/js/lessons.js" defer>; no inline handlers (CSP).
(function () {
  'use strict';

  var jar = document.getElementById('document-cookie');
  if (jar) {
    jar.textContent = document.cookie ? 'document.cookie = "' + document.cookie + '"'
      : 'document.cookie = "" (no cookie a script may read)';
  }

  // <time datetime="..." data-local> gets the visitor's local time beside the UTC one.
  document.querySelectorAll('time[data-local]').forEach(function (el) {
    var t = new Date(el.getAttribute('datetime'));
    if (!isNaN(t)) {
      el.textContent += ' (your time: ' + t.toLocaleString() + ')';
    }
  });
})();
