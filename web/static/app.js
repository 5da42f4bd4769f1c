// Allyway: the only script of our own. Loaded with `defer` after htmx, so
// `htmx` exists when this runs. Pages work without it: every form is a
// plain POST and every link a plain GET.
(function () {
  "use strict";
  // Copy buttons: <button data-copy="element-id" hidden> copies that
  // field's text. Hidden without JavaScript (the text stays selectable).
  document.querySelectorAll("button[data-copy]").forEach(function (btn) {
    var field = document.getElementById(btn.getAttribute("data-copy"));
    if (!field || !navigator.clipboard) {
      return;
    }
    btn.hidden = false;
    btn.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value || field.textContent).then(function () {
        btn.textContent = "Copied";
      });
    });
  });
  if (!window.htmx) {
    return;
  }

  // Response handling (first match wins):
  //   204            nothing to swap
  //   2xx / 3xx      swap
  //   422            swap, and not an error: the server answers an invalid
  //                  form with the form again, errors marked
  //   other 4xx/5xx  don't swap (htmx fires htmx:responseError)
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "422", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
    { code: "...", swap: false }
  ];

  // After a swap, move focus to a form's error summary if the new content
  // has one, so keyboard and screen-reader users land on what went wrong.
  document.body.addEventListener("htmx:afterSettle", function (evt) {
    var target = evt.detail && evt.detail.target;
    if (!target || !target.querySelector) {
      return;
    }
    var summary = target.matches && target.matches(".form-errors")
      ? target
      : target.querySelector(".form-errors");
    if (summary) {
      summary.focus();
    }
  });
})();
