/* CloudBranch page behaviour without inline JavaScript (the Content-Security-Policy forbids
 * inline event handlers and htmx's hx-on eval). Every behaviour is a data attribute, handled
 * here by event delegation, so it also works on fragments HTMX swaps in later.
 *
 *   data-confirm="问题？"        on a form (submit) or a button/link (click): ask first
 *   data-autosubmit             on a select/input: submit its form on change
 *   data-print                  click: window.print()
 *   data-back                   click: go back in the browser history
 *   data-copy="text"            click: copy the text to the clipboard
 *   data-refresh-img="#id"      click: reload that image (captcha) with a cache buster
 *   data-pick-input="#id"       click: put data-pick-value into that input, show data-pick-label
 *     data-pick-display="#id"     in this element (as a badge with data-pick-badge),
 *     data-pick-clear="#id"       and empty this one (the result list)
 *   data-autosubmit-now         on a form: submit it once the page has loaded (QR check-in)
 *   data-swap-errors="409 422"  on an element: HTMX swaps responses with these statuses too
 */
(function () {
  "use strict";

  function $(selector) {
    return selector ? document.querySelector(selector) : null;
  }

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  document.addEventListener(
    "click",
    function (event) {
      var el = event.target instanceof Element ? event.target : null;
      if (!el) return;
      var confirmer = el.closest("button[data-confirm], input[data-confirm], a[data-confirm]");
      if (confirmer && !window.confirm(confirmer.dataset.confirm)) {
        event.preventDefault();
        event.stopImmediatePropagation();
        return;
      }
      if (el.closest("[data-back]")) {
        event.preventDefault();
        window.history.back();
        return;
      }
      if (el.closest("[data-print]")) {
        event.preventDefault();
        window.print();
        return;
      }
      var copier = el.closest("[data-copy]");
      if (copier && navigator.clipboard) {
        event.preventDefault();
        navigator.clipboard.writeText(copier.dataset.copy);
        return;
      }
      var refresher = el.closest("[data-refresh-img]");
      if (refresher) {
        event.preventDefault();
        var img = $(refresher.dataset.refreshImg);
        if (img) img.src = img.src.split("?")[0] + "?r=" + Date.now();
        return;
      }
      var picker = el.closest("[data-pick-input]");
      if (picker) {
        event.preventDefault();
        var input = $(picker.dataset.pickInput);
        if (input) input.value = picker.dataset.pickValue || "";
        var display = $(picker.dataset.pickDisplay);
        if (display) {
          display.textContent = "";
          var label = picker.dataset.pickLabel || "";
          if (picker.hasAttribute("data-pick-badge")) {
            var badge = document.createElement("span");
            badge.className = "badge text-bg-primary fs-6";
            badge.textContent = label;
            display.appendChild(badge);
          } else {
            display.textContent = label;
          }
        }
        var clear = $(picker.dataset.pickClear);
        if (clear) clear.innerHTML = "";
      }
    },
    true
  );

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof Element && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var holder = event.target instanceof Element ? event.target.closest("[data-swap-errors]") : null;
    if (!holder) return;
    var codes = holder.dataset.swapErrors.split(/[\s,]+/).map(Number);
    if (codes.indexOf(event.detail.xhr.status) !== -1) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function autosubmit() {
    document.querySelectorAll("form[data-autosubmit-now]").forEach(function (form) {
      form.removeAttribute("data-autosubmit-now");
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", autosubmit);
  else autosubmit();
})();
