/* The printable checklist page: a print button and the copy button of the QQ group number. */
(function () {
  "use strict";
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { return true; }, function () { return fallback(text); });
    }
    return Promise.resolve(fallback(text));
  }
  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }
  document.addEventListener("click", function (e) {
    var target = e.target;
    if (!target || !target.closest) return;
    var copy = target.closest("button.copy");
    if (copy) {
      var value = copy.getAttribute("data-copy") || "";
      copyText(value).then(function (ok) {
        copy.textContent = ok ? "已复制" : "请长按群号复制";
        copy.classList.add("done");
      });
      return;
    }
    if (target.closest("#print-page")) window.print();
  });
})();
