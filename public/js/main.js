// Gin Shop — mobile side menu.
// Loaded with <script src="/js/main.js" defer>; no inline handlers (CSP).
(function () {
  'use strict';

  var backdrop = document.querySelector('.backdrop');
  var sideDrawer = document.querySelector('.mobile-nav');
  var menuToggle = document.querySelector('#side-menu-toggle');

  if (!backdrop || !sideDrawer || !menuToggle) {
    return;
  }

  menuToggle.setAttribute('aria-expanded', 'false');

  function openMenu() {
    backdrop.classList.add('open');
    sideDrawer.classList.add('open');
    menuToggle.setAttribute('aria-expanded', 'true');
  }

  function closeMenu() {
    backdrop.classList.remove('open');
    sideDrawer.classList.remove('open');
    menuToggle.setAttribute('aria-expanded', 'false');
  }

  menuToggle.addEventListener('click', openMenu);
  backdrop.addEventListener('click', closeMenu);

  document.addEventListener('keydown', function (event) {
    if ((event.key === 'Escape' || event.key === 'Esc') && sideDrawer.classList.contains('open')) {
      closeMenu();
      menuToggle.focus();
    }
  });
})();
