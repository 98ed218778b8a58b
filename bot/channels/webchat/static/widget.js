/* shenbao embeddable chat bubble.
   <script src="https://host/widget.js" data-campaign="cq_hgzy_2023" defer></script>
   Draws a round button (bottom right) that opens the chat page in an iframe panel. Everything lives in
   an open shadow root so the host page's CSS cannot restyle it; the chat itself is a separate document. */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) {
    var all = document.querySelectorAll("script[src*='widget.js'][data-campaign]");
    script = all[all.length - 1];
  }
  if (!script) return;

  var campaign = script.getAttribute("data-campaign") || "";
  var origin;
  try {
    origin = new URL(script.src, location.href).origin;
  } catch (e) {
    return;
  }
  if (!campaign || document.getElementById("shenbao-widget")) return;

  var PHONE = "(max-width: 600px)";
  var FONT = 'system-ui, -apple-system, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';
  var Z = 2147483000;

  var CSS = [
    ":host { all: initial !important; display: contents !important; }",
    "* { box-sizing: border-box; font-family: " + FONT + "; }",
    "[hidden] { display: none !important; }",
    ".bubble {",
    "  position: fixed; right: 20px; bottom: 20px; z-index: " + Z + ";",
    "  width: 60px; height: 60px; margin: 0; padding: 0;",
    "  border: 0; border-radius: 50%;",
    "  background: #1456c8; color: #fff;",
    "  box-shadow: 0 4px 14px rgba(0,0,0,.28);",
    "  display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 1px;",
    "  cursor: pointer; font-size: 11px; line-height: 1; letter-spacing: 0;",
    "  -webkit-tap-highlight-color: transparent; touch-action: manipulation;",
    "  transition: transform .15s ease, background .15s ease;",
    "}",
    ".bubble:hover { background: #0d3f96; transform: scale(1.05); }",
    ".bubble:focus { outline: none; }",
    ".bubble:focus-visible { outline: 3px solid #f29900; outline-offset: 3px; }",
    ".bubble svg { width: 26px; height: 26px; display: block; fill: none; stroke: currentColor; stroke-width: 2; stroke-linecap: round; stroke-linejoin: round; }",
    ".bubble span { color: #fff; font-size: 11px; font-weight: 600; }",
    ".panel {",
    "  position: fixed; right: 20px; bottom: 92px; z-index: " + Z + ";",
    "  width: 400px; height: 640px; max-height: calc(100vh - 112px); max-width: calc(100vw - 40px);",
    "  display: flex; flex-direction: column;",
    "  background: #fff; border: 1px solid #dee0e3; border-radius: 14px; overflow: hidden;",
    "  box-shadow: 0 10px 40px rgba(0,0,0,.3);",
    "}",
    ".bar {",
    "  flex: none; display: flex; align-items: center; justify-content: space-between;",
    "  height: 44px; padding: 0 4px 0 14px; background: #1456c8; color: #fff;",
    "}",
    ".bar-title { color: #fff; font-size: 15px; font-weight: 600; margin: 0; }",
    ".close {",
    "  width: 44px; height: 44px; margin: 0; padding: 0; border: 0; border-radius: 8px;",
    "  background: transparent; color: #fff; font-size: 26px; line-height: 1; cursor: pointer;",
    "}",
    ".close:hover { background: rgba(255,255,255,.15); }",
    ".close:focus { outline: none; }",
    ".close:focus-visible { outline: 3px solid #f29900; outline-offset: -3px; }",
    "iframe { flex: 1 1 auto; display: block; width: 100%; height: 100%; min-height: 0; border: 0; margin: 0; padding: 0; background: #f2f3f5; }",
    "@media " + PHONE + " {",
    "  .panel { inset: 0; right: 0; bottom: 0; width: 100vw; height: 100vh; height: 100dvh; max-width: none; max-height: none; border: 0; border-radius: 0; }",
    "  .open .bubble { display: none; }",
    "  .bubble { right: 14px; bottom: 14px; }",
    "}",
    "@media (prefers-reduced-motion: reduce) { .bubble { transition: none; } }"
  ].join("\n");

  function make(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  function icon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.6A8 8 0 1 1 21 12z M8.5 10.5h7 M8.5 13.8h4.5");
    svg.appendChild(path);
    return svg;
  }

  function addStyles(root) {
    try {
      if (root.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === "function") {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        root.adoptedStyleSheets = [sheet];
        return;
      }
    } catch (e) { /* fall back to a <style> element */ }
    root.appendChild(make("style", {}, CSS));
  }

  function init() {
    var host = document.createElement("shenbao-widget");
    host.id = "shenbao-widget";
    // Inline declarations beat the host page's ordinary rules (the shadow :host rule backs them up).
    host.style.setProperty("all", "initial", "important");
    host.style.setProperty("display", "contents", "important");
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    addStyles(root);

    var wrap = make("div", { "class": "wrap" });
    var bubble = make("button", {
      type: "button",
      "class": "bubble",
      "data-testid": "shenbao-bubble",
      "aria-label": "在线申报",
      "aria-expanded": "false",
      "aria-controls": "shenbao-panel",
      title: "在线申报"
    });
    bubble.appendChild(icon());
    bubble.appendChild(make("span", { "aria-hidden": "true" }, "申报"));

    var panel = make("div", {
      id: "shenbao-panel",
      "class": "panel",
      role: "dialog",
      "aria-label": "在线申报",
      "data-testid": "shenbao-panel"
    });
    panel.hidden = true;
    var bar = make("div", { "class": "bar" });
    bar.appendChild(make("p", { "class": "bar-title" }, "在线申报"));
    var close = make("button", { type: "button", "class": "close", "aria-label": "关闭在线申报", "data-testid": "shenbao-close", title: "关闭（Esc）" }, "×");
    bar.appendChild(close);
    panel.appendChild(bar);

    wrap.appendChild(panel);
    wrap.appendChild(bubble);
    root.appendChild(wrap);
    document.body.appendChild(host);

    var frame = null;
    var savedOverflow = null;
    var phone = window.matchMedia ? window.matchMedia(PHONE) : { matches: false };

    function ensureFrame() {
      if (frame) return frame;
      frame = make("iframe", {
        src: origin + "/chat/" + encodeURIComponent(campaign) + "?embed=1",
        title: "在线申报",
        allow: "clipboard-write",
        referrerpolicy: "no-referrer",
        "data-testid": "shenbao-frame"
      });
      frame.addEventListener("load", function () {
        if (!panel.hidden) focusFrame();
      });
      panel.appendChild(frame);
      return frame;
    }

    function focusFrame() {
      try { frame.focus(); } catch (e) { /* ignore */ }
      try { if (frame.contentWindow) frame.contentWindow.focus(); } catch (e) { /* cross-origin */ }
    }

    function lockScroll(on) {
      var el = document.documentElement;
      if (on && phone.matches) {
        if (savedOverflow === null) savedOverflow = el.style.overflow;
        el.style.overflow = "hidden";
      } else if (!on && savedOverflow !== null) {
        el.style.overflow = savedOverflow;
        savedOverflow = null;
      }
    }

    function open() {
      ensureFrame();
      panel.hidden = false;
      wrap.classList.add("open");
      bubble.setAttribute("aria-expanded", "true");
      bubble.setAttribute("aria-label", "关闭在线申报");
      lockScroll(true);
      focusFrame();
    }

    function hide() {
      if (panel.hidden) return;
      panel.hidden = true;
      wrap.classList.remove("open");
      bubble.setAttribute("aria-expanded", "false");
      bubble.setAttribute("aria-label", "在线申报");
      lockScroll(false);
      bubble.focus();
    }

    bubble.addEventListener("click", function () {
      if (panel.hidden) open(); else hide();
    });
    close.addEventListener("click", hide);
    document.addEventListener("keydown", function (e) {
      if ((e.key === "Escape" || e.key === "Esc") && !panel.hidden) hide();
    });
    root.addEventListener("keydown", function (e) {
      if ((e.key === "Escape" || e.key === "Esc") && !panel.hidden) {
        e.stopPropagation();
        hide();
      }
    });
    // The chat page (inside the iframe) asks to close when Esc is pressed there.
    window.addEventListener("message", function (e) {
      if (!frame || e.source !== frame.contentWindow || e.origin !== origin) return;
      if (e.data && e.data.type === "shenbao:close") hide();
    });
    if (phone.addEventListener) {
      phone.addEventListener("change", function () { if (!panel.hidden) lockScroll(phone.matches); });
    }
  }

  if (document.body) init();
  else document.addEventListener("DOMContentLoaded", init);
})();
