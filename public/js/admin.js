// Gin Shop — async product deletion on /admin/products.
// Each delete button sits in a <form method="post" action="/admin/delete-product">
// (the no-JS fallback). With JS we send DELETE /admin/product/:id instead and
// remove the card from the DOM on success.
// Loaded with <script src="/js/admin.js" defer>; no inline handlers (CSP).
(function () {
  'use strict';

  var ERROR_CLASS = 'user-message user-message--error';
  var ERROR_MARKER = 'data-delete-error';

  function clearError() {
    var old = document.querySelector('[' + ERROR_MARKER + ']');
    if (old && old.parentNode) {
      old.parentNode.removeChild(old);
    }
  }

  function showError(text, article) {
    clearError();
    var box = document.createElement('div');
    box.className = ERROR_CLASS;
    box.setAttribute(ERROR_MARKER, '');
    box.setAttribute('role', 'alert');
    box.textContent = text || 'Deleting failed.';

    var grid = (article && article.closest('.grid')) || document.querySelector('main .grid');
    if (grid && grid.parentNode) {
      grid.parentNode.insertBefore(box, grid);
    } else {
      var main = document.querySelector('main') || document.body;
      main.insertBefore(box, main.firstChild);
    }
  }

  function showEmptyStateIfNeeded() {
    if (document.querySelector('article.product-item')) {
      return;
    }
    var main = document.querySelector('main');
    if (!main || main.querySelector('.empty-state')) {
      return;
    }
    var grid = main.querySelector('.grid');
    var h1 = document.createElement('h1');
    h1.className = 'empty-state';
    h1.textContent = 'No Products Found!';
    if (grid && grid.parentNode) {
      grid.parentNode.insertBefore(h1, grid);
    } else {
      main.appendChild(h1);
    }
  }

  function readMessage(response) {
    var type = response.headers.get('Content-Type') || '';
    if (type.indexOf('application/json') === -1) {
      return Promise.resolve(null);
    }
    return response.json().then(
      function (data) {
        return data && typeof data.message === 'string' ? data.message : null;
      },
      function () {
        return null;
      }
    );
  }

  function deleteProduct(button) {
    var productId = button.getAttribute('data-product-id');
    var csrf = button.getAttribute('data-csrf') || '';
    var productElement = button.closest('article');

    if (!productId) {
      showError('Deleting failed.', productElement);
      return;
    }

    button.disabled = true;
    clearError();

    fetch('/admin/product/' + encodeURIComponent(productId), {
      method: 'DELETE',
      headers: {
        'X-CSRF-Token': csrf,
        'Accept': 'application/json'
      },
      credentials: 'same-origin'
    })
      .then(function (response) {
        return readMessage(response).then(function (message) {
          if (!response.ok) {
            var failure = new Error(message || 'Deleting failed.');
            failure.fromServer = true;
            throw failure;
          }
          if (productElement && productElement.parentNode) {
            productElement.parentNode.removeChild(productElement);
          }
          showEmptyStateIfNeeded();
        });
      })
      .catch(function (err) {
        button.disabled = false;
        // Only show messages the server sent; network errors get the generic text.
        var text = err && err.fromServer && err.message ? err.message : 'Deleting failed.';
        showError(text, productElement);
      });
  }

  document.addEventListener('click', function (event) {
    var target = event.target;
    if (!(target instanceof Element)) {
      return;
    }
    var button = target.closest('button.btn[data-delete-product]');
    if (!button) {
      return;
    }
    event.preventDefault();
    if (button.disabled) {
      return;
    }
    deleteProduct(button);
  });
})();
