/* shenbao web chat. Vanilla ES2019, no build step, no external resources.
   Server and applicant text is only ever placed with textContent, never parsed as HTML. */
(function () {
  "use strict";

  var MAX_TEXT = 2000;
  var MAX_UPLOAD = 10 * 1024 * 1024;
  var UA = navigator.userAgent || "";
  var IN_WECHAT = /MicroMessenger/i.test(UA);
  var IN_QQ = / QQ\//.test(UA);
  var IN_APP = IN_WECHAT || IN_QQ;
  var COARSE = !!(window.matchMedia && window.matchMedia("(pointer: coarse)").matches);

  var COMMAND_LABELS = {
    back: "上一步",
    edit: "修改",
    review: "查看",
    skip: "跳过",
    restart: "重新开始",
    help: "帮助",
    keep: "保持原答案"
  };

  // ---------------------------------------------------------------- helpers

  /* el("div", {className: "x", text: "...", attrs: {...}, on: {click: fn}}, [children]) */
  function el(tag, opts, children) {
    var node = document.createElement(tag);
    opts = opts || {};
    if (opts.className) node.className = opts.className;
    if (opts.id) node.id = opts.id;
    if (opts.text !== undefined && opts.text !== null) node.textContent = String(opts.text);
    if (opts.attrs) {
      Object.keys(opts.attrs).forEach(function (k) {
        var v = opts.attrs[k];
        if (v === false || v === null || v === undefined) return;
        node.setAttribute(k, v === true ? "" : String(v));
      });
    }
    if (opts.on) {
      Object.keys(opts.on).forEach(function (k) { node.addEventListener(k, opts.on[k]); });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function str(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "object") {
      try { return JSON.stringify(v); } catch (e) { return String(v); }
    }
    return String(v);
  }

  function uuid() {
    try {
      if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    } catch (e) { /* insecure context */ }
    var b = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(b);
    } else {
      for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  var storage = {
    get: function (key) {
      try { return window.localStorage.getItem(key); } catch (e) { return null; }
    },
    set: function (key, value) {
      try { window.localStorage.setItem(key, value); return true; } catch (e) { return false; }
    },
    remove: function (key) {
      try { window.localStorage.removeItem(key); } catch (e) { /* blocked */ }
    }
  };
  var session = {
    get: function (key) {
      try { return window.sessionStorage.getItem(key); } catch (e) { return null; }
    },
    set: function (key, value) {
      try { window.sessionStorage.setItem(key, value); } catch (e) { /* blocked */ }
    }
  };

  function legacyCopy(text) {
    var ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.className = "visually-hidden";
    document.body.appendChild(ta);
    var active = document.activeElement;
    ta.select();
    try { ta.setSelectionRange(0, text.length); } catch (e) { /* ignore */ }
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(ta);
    if (active && typeof active.focus === "function") active.focus({ preventScroll: true });
    return ok;
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { return true; }, function () {
        return legacyCopy(text);
      });
    }
    return Promise.resolve(legacyCopy(text));
  }

  /* Brief "已复制" feedback on the button itself, announced to screen readers via its label. */
  function flash(button, ok, fallbackText) {
    var old = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", old);
    button.textContent = ok ? "已复制" : "请长按复制";
    window.setTimeout(function () { button.textContent = old; }, 1800);
    if (!ok && fallbackText) window.prompt("请复制下面的内容：", fallbackText);
  }

  /* Copy buttons on server-rendered pages (campaign list): data-copy="#selector" or data-copy-text. */
  function bindCopyButtons(scope) {
    Array.prototype.forEach.call(scope.querySelectorAll("[data-copy], [data-copy-text]"), function (btn) {
      btn.addEventListener("click", function () {
        var text = btn.getAttribute("data-copy-text");
        if (!text) {
          var target = document.querySelector(btn.getAttribute("data-copy"));
          if (!target) return;
          text = target.value !== undefined ? target.value : target.textContent;
          if (target.select) target.select();
        }
        copyText(text).then(function (ok) { flash(btn, ok, text); });
      });
    });
  }

  bindCopyButtons(document);

  var root = document.getElementById("app");
  if (!root || !root.hasAttribute("data-campaign")) return;

  // ---------------------------------------------------------------- chat page

  var CAMPAIGN = root.getAttribute("data-campaign");
  var EMBEDDED = root.getAttribute("data-embedded") === "1";
  var TOKEN_KEY = "shenbao:token:" + CAMPAIGN;

  function apiBase() {
    var base = (root.getAttribute("data-api") || "").replace(/\/+$/, "");
    // The routes are {api}/api/...; tolerate a base that already ends in /api.
    return /\/api$/.test(base) ? base : base + "/api";
  }
  var API = apiBase();

  var $ = function (id) { return document.getElementById(id); };
  var messages = $("messages");
  var input = $("input");
  var sendBtn = $("send");
  var form = $("send-form");
  var upload = $("upload");
  var uploadRow = $("upload-row");
  var hint = $("input-hint");
  var btnX = $("btn-x");
  var toolButtons = ["btn-back", "btn-edit", "btn-review", "btn-help", "btn-download"].map($).filter(Boolean);

  var token = null;
  var busy = false;
  var lastState = null;
  var question = null;          // data of the question being asked, or null
  var activeControls = [];      // containers of buttons that answer the current bot turn
  var failed = null;            // {sig, msgId} of the last failed action, to retry with the same msg_id
  var lastActionTyped = false;
  var uploadKind = "image";
  var linksValidUntil = 0;      // download links carry tickets that expire: fetched anew after this
  var incomingState = null;     // the state that comes with the replies being rendered
  var justCreated = false;      // the first answer just created the application: say what the 续填码 is for

  // ------------------------------------------------------------ token & URL

  /* The session token lives in localStorage and in request headers only, never in the address: an
     address is copied, forwarded in WeChat, kept in histories. A `?t=` left by an older version (or
     planted in a link) is removed from the address and never used: a link must not open, or replace,
     anyone's application. */
  function dropUrlToken() {
    try {
      var url = new URL(location.href);
      if (url.searchParams.has("t")) {
        url.searchParams.delete("t");
        history.replaceState(history.state, "", url.pathname + url.search + url.hash);
      }
    } catch (e) { /* very old browser */ }
  }

  function rememberToken(value) {
    token = value;
    storage.set(TOKEN_KEY, value);
    setAnswering();
  }

  function forgetToken() {
    storage.remove(TOKEN_KEY);
    token = null;
    setAnswering();
  }

  /* The link to share or to open in another browser: the campaign's, never the session's (there the
     applicant continues with the 续填码). */
  function shareUrl() {
    try {
      var url = new URL(location.href);
      url.search = "";
      url.hash = "";
      return url.toString();
    } catch (e) { return location.href; }
  }

  // ------------------------------------------------------------ HTTP

  function errorMessage(status, data) {
    if (data && typeof data.error === "string" && data.error) return data.error;
    if (data && data.error && typeof data.error.message === "string") return data.error.message;
    if (data && typeof data.detail === "string" && data.detail) return data.detail;
    if (data && typeof data.message === "string" && data.message) return data.message;
    if (status === 404) return "没有找到这次填写记录。";
    if (status === 413) return "文件太大：请上传不超过 10 MB 的文件。";
    if (status === 415) return "文件格式不对：请上传 JPG 或 PNG 照片（材料可用 PDF）。";
    if (status === 422) return "内容太长：每次最多 " + MAX_TEXT + " 个字，请分几次发送或删减后再发。";
    if (status === 429) return "操作太频繁，请稍后再试。";
    if (status >= 500) return "服务器暂时出错，请稍后重试。您的输入已保留。";
    return "请求失败（" + status + "），请重试。";
  }

  /* Resolves to {ok, status, data}; rejects only on network failure / timeout. */
  function request(method, path, body, extraHeaders, timeoutMs) {
    var headers = { "Accept": "application/json" };
    var payload = body;
    if (body !== undefined && body !== null && !(body instanceof Blob)) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    if (token) headers["Authorization"] = "Bearer " + token;
    Object.keys(extraHeaders || {}).forEach(function (k) { headers[k] = extraHeaders[k]; });
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? window.setTimeout(function () { controller.abort(); }, timeoutMs || 30000) : null;
    return fetch(API + path, {
      method: method,
      headers: headers,
      body: payload === undefined ? undefined : payload,
      credentials: "same-origin",
      cache: "no-store",
      signal: controller ? controller.signal : undefined
    }).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { ok: res.ok, status: res.status, data: data };
      });
    }).finally(function () {
      if (timer) window.clearTimeout(timer);
    });
  }

  // ------------------------------------------------------------ rendering

  function append(node) {
    messages.appendChild(node);
    return node;
  }

  function scrollToNode(node) {
    if (!node) return;
    var max = messages.scrollHeight - messages.clientHeight;
    var target = node.offsetTop - 12;
    messages.scrollTop = Math.max(0, Math.min(max, target));
  }

  function scrollToBottom() {
    messages.scrollTop = messages.scrollHeight;
  }

  function botBubble(text, extraClass) {
    return append(el("div", { className: "msg bot" + (extraClass ? " " + extraClass : ""), text: text }));
  }

  function userBubble(text, extraClass) {
    return append(el("div", { className: "msg user" + (extraClass ? " " + extraClass : ""), text: text }));
  }

  function errorBubble(message, retry) {
    var node = el("div", { className: "msg bot error", attrs: { role: "alert" } }, [message]);
    if (retry) {
      var wrap = el("div", { className: "retry" }, [
        el("button", {
          className: "btn btn-small btn-danger",
          attrs: { type: "button" },
          text: "重试",
          on: { click: function () { wrap.remove(); retry(); } }
        })
      ]);
      node.appendChild(wrap);
    }
    return append(node);
  }

  function retireControls() {
    activeControls.forEach(function (c) { if (c.parentNode) c.parentNode.removeChild(c); });
    activeControls = [];
  }

  function choiceButton(label, onClick, extraClass) {
    return el("button", {
      className: "choice" + (extraClass ? " " + extraClass : ""),
      attrs: { type: "button" },
      text: label,
      on: { click: onClick }
    });
  }

  function controls(buttons, extraClass) {
    var box = el("div", { className: "choices" + (extraClass ? " " + extraClass : ""), attrs: { role: "group", "aria-label": "可选回答" } }, buttons);
    activeControls.push(box);
    return append(box);
  }

  /* A button's action; one made while a question is shown carries that question's key (C1). */
  function sendText(text, label) {
    var key = question && question.key ? String(question.key) : null;
    return function () { perform({ type: "text", text: text, label: label || text, key: key }); };
  }

  function sendCommand(name, label, arg) {
    var key = question && question.key ? String(question.key) : null;
    return function () {
      perform({ type: "command", command: name, arg: arg || "", label: label || COMMAND_LABELS[name] || name, key: key });
    };
  }

  function outcomeTitle(outcome) {
    return { ineligible: "✗ 不符合条件", warning: "⚠ 请注意", info: "ℹ 说明" }[outcome] || "说明";
  }

  /* Lines meant for text-only channels (the terminal): under buttons they are noise. */
  function plain(text) {
    return str(text).split("\n").filter(function (line) {
      return !/^请回复编号或选项文字。?$/.test(line.trim());
    }).join("\n");
  }

  /* One-tap fix of a finding (C3): sends {"command": "apply", "arg": rule}. */
  function fixButton(rule, label) {
    return choiceButton(str(label || "按建议修改"), sendCommand("apply", str(label || "按建议修改"), str(rule)), "fix");
  }

  function findingCard(f, nested, active) {
    f = f || {};
    var outcome = ["ineligible", "warning", "info"].indexOf(f.outcome) >= 0 ? f.outcome : "info";
    var card = el("div", { className: "card finding " + outcome, attrs: { "data-rule": f.rule || null } }, [
      nested ? null : el("h3", { text: outcomeTitle(outcome) }),
      el("p", { className: "message", text: str(f.message) }),
      f.basis ? el("p", { className: "basis", text: "依据：" + str(f.basis) }) : null,
      f.suggest ? el("p", { className: "suggest", text: "建议：" + str(f.suggest) }) : null
    ]);
    if (active && f.fix && f.rule && typeof f.fix === "object") {
      var box = el("div", { className: "choices fixes", attrs: { role: "group", "aria-label": "按建议修改" } }, [
        fixButton(f.rule, f.fix.label || ("改为「" + str(f.fix.value) + "」"))
      ]);
      activeControls.push(box);
      card.appendChild(box);
    }
    return card;
  }

  function hasValue(v) {
    return v !== null && v !== undefined && v !== "";
  }

  function renderQuestion(r, active) {
    var d = r.data || {};
    var bubble = el("div", { className: "msg bot question", attrs: { "data-key": d.key || null } });
    if (d.error) bubble.appendChild(el("span", { className: "q-pending", attrs: { role: "alert" }, text: "⚠ " + str(d.error) }));
    if (d.section) bubble.appendChild(el("span", { className: "section-tag", text: str(d.section) + (d.optional ? "（选填）" : "") }));
    bubble.appendChild(el("span", { className: "q-prompt", text: str(d.prompt || r.text) }));
    if (hasValue(d.suggested) && d.suggested_from) {
      bubble.appendChild(el("span", { className: "q-suggested", text: str(d.suggested_from) }));
    }
    if (hasValue(d.current)) {
      bubble.appendChild(el("span", { className: "q-current", text: "当前答案：" + str(d.current) }));
    }
    if (d.help) bubble.appendChild(el("span", { className: "q-help", text: "说明：" + str(d.help) }));
    if (d.example) bubble.appendChild(el("span", { className: "q-example", text: "例如：" + str(d.example) }));
    if (d.unknown_ok) bubble.appendChild(el("span", { className: "q-help", text: "不清楚可以先点“不清楚”，提交前再向单位确认。" }));
    if (d.type === "image" || d.photo) bubble.appendChild(el("span", { className: "q-help", text: "请上传照片（JPG 或 PNG，不超过 10 MB）。" }));
    if (d.type === "file") bubble.appendChild(el("span", { className: "q-help", text: "请上传文件（PDF、JPG 或 PNG，不超过 10 MB）。" }));
    append(bubble);
    if (d.progress) setProgress(d.progress, false);
    if (!active) return bubble;

    question = d;
    configureComposer(d);
    var buttons = [];
    if (hasValue(d.suggested)) {
      buttons.push(choiceButton("是（" + str(d.suggested) + "）", sendText("是", "是（" + str(d.suggested) + "）"), "suggested"));
    }
    var choices = Array.isArray(d.choices) ? d.choices.map(str) : [];
    if (d.type === "boolean" && !choices.length) choices = ["是", "否"];
    if (d.multi || d.type === "multi_choice") {
      var picked = [];
      choices.forEach(function (c) {
        var b = choiceButton(c, function () {
          var i = picked.indexOf(c);
          if (i >= 0) picked.splice(i, 1); else picked.push(c);
          b.setAttribute("aria-pressed", i >= 0 ? "false" : "true");
          ok.disabled = busy || picked.length === 0;
        });
        b.setAttribute("aria-pressed", "false");
        buttons.push(b);
      });
      var key = d.key ? String(d.key) : null;
      var ok = choiceButton("确定", function () {
        if (!picked.length) return;
        var ordered = choices.filter(function (c) { return picked.indexOf(c) >= 0; });
        perform({ type: "text", text: ordered.join("、"), key: key });
      }, "confirm");
      ok.disabled = true;
      buttons.push(ok);
    } else {
      choices.forEach(function (c) { buttons.push(choiceButton(c, sendText(c))); });
    }
    if (d.present) buttons.push(choiceButton("至今", sendText("至今"), "present"));
    if (d.unknown_ok) buttons.push(choiceButton("不清楚", sendText("不清楚"), "secondary unknown"));
    if (hasValue(d.current)) {
      buttons.push(choiceButton("保持原答案", sendCommand("keep"), "secondary"));
    }
    if (d.optional) buttons.push(choiceButton("跳过", sendCommand("skip"), "secondary"));
    if (buttons.length) {
      var box = controls(buttons, choices.length > 8 ? "many" : "");
      if (choices.length > 12 && !d.multi) {
        box.insertBefore(el("p", { className: "filter-note", text: "选项较多：可在下方输入框里输入文字筛选，或直接发送。" }), box.firstChild);
        box.setAttribute("data-filter", "1");
      }
    }
    return bubble;
  }

  function renderReview(r, active) {
    var d = r.data || {};
    var card = el("div", { className: "card review" + (d.final ? " final" : "") }, [
      el("h3", { text: d.final ? "请核对填写内容" : "已填写的内容" })
    ]);
    (d.sections || []).forEach(function (s) {
      var dl = el("dl");
      (s.rows || []).forEach(function (row) {
        dl.appendChild(el("dt", { text: str(row[0]) }));
        dl.appendChild(el("dd", { text: str(row[1]) }));
      });
      card.appendChild(el("section", { className: "review-section" }, [el("h3", { text: str(s.title) }), dl]));
    });
    var outcomes = d.outcomes || {};
    var keys = Object.keys(outcomes);
    if (keys.length) {
      var odl = el("dl");
      keys.forEach(function (k) {
        odl.appendChild(el("dt", { text: k }));
        odl.appendChild(el("dd", { text: str(outcomes[k]) }));
      });
      card.appendChild(el("section", { className: "review-section outcomes" }, [el("h3", { text: "评价结果预判" }), odl]));
    }
    var notes = (d.findings || []);
    if (notes.length) {
      var list = el("div", { className: "findings" });
      notes.forEach(function (f) { list.appendChild(findingCard(f)); });
      card.appendChild(el("section", { className: "review-section" }, [el("h3", { text: "提示" }), list]));
    }
    if (d.final) {
      card.appendChild(el("p", { className: "review-final", text: "请逐项核对（包括证件号码），无误请点“确认”生成申报表；需要更改请点“修改”。" }));
    }
    append(card);
    if (active && d.final) {
      question = null;
      configureComposer(null);
      controls([
        choiceButton("确认", sendText("确认"), "confirm"),
        choiceButton("修改", sendText("修改"))
      ]);
    }
    return card;
  }

  function optionButtons(opts) {
    return opts.map(function (o) {
      var label = str(o);
      return choiceButton(label, sendText(label), label === "结束" || label === "重新开始" ? "secondary" : "");
    });
  }

  function renderIneligible(r, active) {
    var d = r.data || {};
    var card = el("div", { className: "card ineligible", attrs: { role: "alert" } }, [el("h3", { text: "✗ 不符合申报条件" })]);
    var list = el("div", { className: "findings" });
    (d.findings || []).forEach(function (f) { list.appendChild(findingCard(f, true)); });
    card.appendChild(list);
    card.appendChild(el("p", { text: "如果是填错了，请点“修改”更改相关答案（或“上一步”）；若确认不符合，点“结束”获取书面说明。" }));
    append(card);
    if (active) {
      question = null;
      configureComposer(null);
      var fixes = Array.isArray(d.fixes) ? d.fixes : [];
      var buttons = fixes.filter(function (x) { return x && x.rule; }).map(function (x) { return fixButton(x.rule, x.label); });
      var opts = Array.isArray(d.options) && d.options.length ? d.options : ["修改", "上一步", "结束"];
      controls(buttons.concat(optionButtons(opts)));
    }
    return card;
  }

  function renderStopped(r, active) {
    var d = r.data || {};
    var card = el("div", { className: "card stopped" }, [el("p", { className: "pre", text: plain(r.text) })]);
    append(card);
    if (active) {
      question = null;
      configureComposer(null);
      if (Array.isArray(d.options) && d.options.length) {
        controls(optionButtons(d.options));
      } else {
        controls([
          choiceButton("修改答案", sendCommand("edit", "修改")),
          choiceButton("重新开始", sendCommand("restart"), "secondary")
        ]);
      }
    }
    return card;
  }

  /* The 修改 menu (C7): items grouped under their section with the current answer; 返回 cancels. */
  function renderEditMenu(r, active) {
    var d = r.data || {};
    var items = Array.isArray(d.items) ? d.items : [];
    var head = (r.text || "").split("\n")[0] || "要修改哪一项？";
    head = head.replace("请回复编号：", "请点选：").replace(/（?请回复编号[^）]*）?/, "");
    var card = el("div", { className: "msg bot edit-menu" }, [el("p", { className: "edit-head", text: head })]);
    append(card);
    if (!active) {
      card.appendChild(el("p", { className: "pre", text: str(r.text).split("\n").slice(1).join("\n") }));
      return card;
    }
    question = null;
    configureComposer(null);
    var box = el("div", { className: "choices edit-items", attrs: { role: "group", "aria-label": "要修改的项目" } });
    var section = null;
    items.forEach(function (it, i) {
      it = it || {};
      if (it.section && it.section !== section) {
        section = it.section;
        box.appendChild(el("h4", { className: "edit-section", text: str(section) }));
      }
      var label = str(it.label || it.key);
      var b = el("button", {
        className: "choice edit-item",
        attrs: { type: "button", "data-key": it.key || null },
        on: { click: sendText(String(i + 1), "修改：" + label) }
      }, [
        el("span", { className: "edit-label", text: label }),
        "value" in it ? el("span", { className: "edit-value", text: hasValue(it.value) ? str(it.value) : "（未填）" }) : null
      ]);
      box.appendChild(b);
    });
    var cancel = d.cancel ? str(d.cancel) : "返回";
    box.appendChild(choiceButton(cancel, d.cancel ? sendText(cancel) : sendCommand("back", cancel), "secondary cancel"));
    activeControls.push(box);
    append(box);
    return card;
  }

  function renderConfirm(r, active) {
    var bubble = botBubble(plain(r.text));
    if (active) {
      question = null;
      configureComposer(null);
      var opts = (r.data && r.data.options) || ["是", "否"];
      controls(optionButtons(opts));
    }
    return bubble;
  }

  function renderNotice(r, active) {
    var d = r.data || {};
    if (d.section_intro) {
      return append(el("div", { className: "card section-intro", attrs: { "data-section": d.section || null } }, [
        d.section ? el("h3", { text: str(d.section) }) : null,
        el("p", { className: "pre", text: str(r.text) })
      ]));
    }
    if (d.photo_crop && typeof d.photo_crop === "object") return renderPhotoCrop(r, d.photo_crop);
    return botBubble(plain(r.text), "notice" + (d.intro ? " intro" : ""));
  }

  /* After a photo upload: how it will print (cropped to the form's box), with the server's small preview
     (a data: URL of a JPEG, only in the upload's own response; a reloaded transcript shows the text). */
  function renderPhotoCrop(r, crop) {
    var node = el("div", { className: "msg bot notice photo-crop", attrs: { "data-testid": "photo-crop" } }, [
      el("p", { text: plain(r.text) })
    ]);
    var src = str(crop.preview);
    var w = Number(crop.width_mm), h = Number(crop.height_mm);
    if (/^data:image\/jpeg;base64,[A-Za-z0-9+\/=]+$/.test(src)) {
      var img = el("img", {
        className: "crop-preview",
        attrs: { src: src, alt: "裁剪后将打印的照片" + (w > 0 && h > 0 ? "（" + w / 10 + "×" + h / 10 + " 厘米）" : "") }
      });
      node.appendChild(img);
    }
    return append(node);
  }

  /* The `documents` reply (C2): the downloads of the finished application, from the state. */
  function renderDocuments(r) {
    var d = r.data || {};
    var node = el("div", { className: "msg bot documents" }, [el("p", { text: str(r.text) })]);
    var st = incomingState || lastState || {};
    var wanted = Array.isArray(d.documents) ? d.documents.map(str) : null;
    var docs = (st.documents || []).filter(function (doc) { return !wanted || wanted.indexOf(str(doc.id)) >= 0; });
    node.appendChild(downloadButtons(docs, d.checklist ? st : null));
    return append(node);
  }

  function renderReply(r, active) {
    if (!r || typeof r !== "object") return null;
    var d = r.data || {};
    switch (r.kind) {
      case "question": return renderQuestion(r, active);
      case "error": {
        var msg = d.message ? str(d.message) : str(r.text);
        var node = el("div", { className: "msg bot error", attrs: active ? { role: "alert" } : {} }, [
          el("span", { className: "err-message", text: msg }),
          d.example ? el("span", { className: "q-example", text: "例如：" + str(d.example) }) : null
        ]);
        return append(node);
      }
      case "finding": return append(findingCard(d, false, active));
      case "ineligible": return renderIneligible(r, active);
      case "review": return renderReview(r, active);
      case "edit_menu": return renderEditMenu(r, active);
      case "confirm": return renderConfirm(r, active);
      case "help": return botBubble(plain(r.text), "help");
      case "stopped": return renderStopped(r, active);
      case "done": return botBubble(r.text, "done");
      case "notice": return renderNotice(r, active);
      case "documents": return renderDocuments(r);
      default: return botBubble(plain(r.text || ""));
    }
  }

  function hasOptions(r) {
    return !!(r && r.data && Array.isArray(r.data.options) && r.data.options.length);
  }

  function isInteractive(r) {
    if (!r) return false;
    if (r.kind === "review") return !!(r.data && r.data.final);
    if (hasOptions(r)) return true;
    return ["question", "ineligible", "edit_menu", "confirm", "stopped"].indexOf(r.kind) >= 0;
  }

  /* Render one batch of bot replies; only the last interactive one gets buttons. Any reply's
     data.options (C4) become buttons that send the option as typed text. */
  function renderReplies(replies, active, state) {
    replies = Array.isArray(replies) ? replies : [];
    incomingState = state && typeof state === "object" ? state : null;
    var last = -1;
    replies.forEach(function (r, i) { if (isInteractive(r)) last = i; });
    if (active) {
      question = null;
      retireControls();
    }
    var first = null;
    var interactive = null;
    replies.forEach(function (r, i) {
      var on = active && i === last;
      // a finding's one-tap fix is offered in the turn that shows it, whatever follows it
      var node = renderReply(r, on || (active && r.kind === "finding"));
      if (on && hasOptions(r) && ["ineligible", "confirm", "stopped"].indexOf(r.kind) < 0) {
        question = null;
        configureComposer(null);
        controls(optionButtons(r.data.options));
      }
      if (!first) first = node;
      if (i === last) interactive = node;
    });
    if (active && last < 0) configureComposer(null);
    if (active) updateToolbar();
    incomingState = null;
    return { first: first, interactive: interactive };
  }
  /* Show the new turn: all of it when it fits, otherwise from the thing to answer (or its start). */
  function reveal(from, rendered) {
    var max = messages.scrollHeight - messages.clientHeight;
    var start = from || (rendered && rendered.first);
    if (!start) { scrollToBottom(); return; }
    var top = start.offsetTop - 12;
    if (messages.scrollHeight - top <= messages.clientHeight) { messages.scrollTop = max; return; }
    var focusNode = (rendered && (rendered.interactive || rendered.first)) || start;
    if (focusNode && focusNode !== start && focusNode.offsetTop - start.offsetTop > messages.clientHeight * 0.6) start = focusNode;
    scrollToNode(start);
  }

  function renderUserEntry(entry) {
    var d = entry.data || {};
    var text = str(entry.text);
    if (d.command && !text) text = COMMAND_LABELS[d.command] || d.command;
    if (d.filename && !text) text = "文件：" + str(d.filename);
    return userBubble(text || "（已发送）");
  }

  // ------------------------------------------------------------ state: header, progress, result

  function setProgress(p, complete) {
    var bar = $("progress-bar");
    var text = $("progress-text");
    var box = $("progress");
    if (!bar || !text || !box) return;
    var n = p && typeof p.n === "number" ? p.n : 0;
    var total = p && typeof p.total === "number" ? p.total : 0;
    var pct = complete ? 100 : total > 0 ? Math.max(0, Math.min(100, Math.round(((n - 1) / total) * 100))) : 0;
    if (!complete && total > 0 && n > total) pct = 100;
    bar.style.width = pct + "%";
    var label = complete ? "已完成" : total > 0 ? "第 " + n + "/" + total + " 题" : "准备中…";
    text.textContent = label;
    box.setAttribute("aria-valuemax", String(total || 0));
    box.setAttribute("aria-valuenow", String(complete ? total : Math.min(n, total)));
    box.setAttribute("aria-valuetext", label);
    box.classList.toggle("done", !!complete);
  }

  function setResumeCode(code) {
    var line = $("resume-line");
    var codeEl = $("resume-code");
    if (!line || !codeEl) return;
    if (code) {
      codeEl.textContent = code;
      line.hidden = false;
      ["resume-have", "resume-copy", "resume-renew", "resume-why"].forEach(function (id) { var n = $(id); if (n) n.hidden = false; });
    }
    if (code && justCreated) {
      justCreated = false;
      resumeNote(code);
    }
  }

  /* Said once in the conversation when the application is created: the code, what it is for, a copy
     button. */
  function resumeNote(code) {
    var copy = el("button", { className: "btn btn-ghost resume-note-copy", attrs: { type: "button" }, text: "复制续填码" });
    copy.addEventListener("click", function () { copyText(code).then(function (ok) { flash(copy, ok, code); }); });
    var note = el("div", { className: "msg bot notice resume-note", attrs: { "data-testid": "resume-note" } }, [
      el("span", {}, [el("span", { text: "您的续填码：" }), el("strong", { className: "resume-code", text: code })]),
      el("span", { className: "q-help", text: "换手机或下次继续时输入此码。" }),
      copy
    ]);
    var firstUser = messages.querySelector(".msg.user");
    if (firstUser && firstUser.nextSibling) messages.insertBefore(note, firstUser.nextSibling);
    else append(note);
  }

  function applyState(state) {
    if (!state || typeof state !== "object") return;
    var wasComplete = !!(lastState && lastState.status === "complete");
    lastState = state;
    if (state.links_expire_in) linksValidUntil = Date.now() + (state.links_expire_in - 120) * 1000;
    var complete = state.status === "complete";
    if (!complete && (wasComplete || messages.querySelector("a.file-link:not(.explanation-pdf):not(.explanation-docx)"))) {
      retireDownloads();
    }
    if (state.progress) setProgress(state.progress, complete);
    else if (complete) setProgress({ n: 0, total: 0 }, true);
    if (state.resume_code) setResumeCode(state.resume_code);
    if (state.status === "ineligible" || state.mode === "stopped") renderExplanation(state);
    else removeNode(document.querySelector(".card.explanation"));
    updateToolbar();
  }

  /* The toolbar follows the state: after completion only 下载申报表 / 查看 / 修改 (going back must never
     reopen a submitted application); before the first answer only 帮助. */
  function updateToolbar() {
    var complete = !!(lastState && lastState.status === "complete");
    var show = function (id, on) { var b = $(id); if (b) b.hidden = !on; };
    show("btn-back", !complete);
    show("btn-help", !complete);
    show("btn-download", complete);
    toolButtons.forEach(function (b) {
      b.disabled = busy || (!token && b.id !== "btn-help");
    });
  }

  /* 下载申报表 in the toolbar: the downloads of the end screen, with fresh links. */
  function showDownloads() {
    var card = document.querySelector(".card.result");
    if (card && Date.now() < linksValidUntil) {
      scrollToNode(card.querySelector(".docs") || card);
      return;
    }
    request("GET", "/session").then(function (res) {
      if (!res.ok || !res.data || !res.data.state) { errorBubble(errorMessage(res.status, res.data)); return; }
      applyState(res.data.state);
      if (res.data.state.status !== "complete") return;
      var fresh = renderResult(res.data.state, null);
      scrollToNode(fresh.querySelector(".docs") || fresh);
    }, function () { errorBubble("网络连接失败，请重试。"); });
  }

  function resolveUrl(url) {
    if (!url) return null;
    try {
      var u = new URL(url, location.href);
      return u.protocol === "http:" || u.protocol === "https:" ? u.toString() : null;
    } catch (e) { return null; }
  }

  function outcomeRows(state, doneData) {
    var rows = [];
    var list = state && state.outcomes;
    if (Array.isArray(list) && list.length) {
      list.forEach(function (o) {
        if (o && typeof o.value !== "object") rows.push([str(o.label || o.name), o.value]);
      });
    } else if (doneData && doneData.outcomes) {
      Object.keys(doneData.outcomes).forEach(function (k) { rows.push([k, doneData.outcomes[k]]); });
    }
    return rows;
  }

  function checklistKey() { return "shenbao:checked:" + (token || CAMPAIGN); }

  /* A checklist item: {text, action, phones, copy} (an older server sent plain strings). */
  function itemText(item) {
    return typeof item === "object" && item !== null ? str(item.text || "") : str(item);
  }

  function renderChecklist(list) {
    var saved = {};
    try { saved = JSON.parse(storage.get(checklistKey()) || "{}") || {}; } catch (e) { saved = {}; }
    var box = el("section", { id: "checklist", className: "checklist", attrs: { "aria-label": "提交清单" } }, [
      el("h3", { text: str(list.title || "提交清单") })
    ]);
    if (list.deadline_passed) {
      box.appendChild(el("p", { className: "deadline-note", text: "本批次已过截止日期，请先与受理机构联系。" }));
    } else if (typeof list.workdays_left === "number") {
      box.appendChild(el("p", { className: "deadline-note", text: "距截止还有 " + list.workdays_left + " 个工作日。" }));
    }
    var counter = 0;
    (list.sections || []).forEach(function (s) {
      // Only things the applicant does are ticked off (the item says: `action`); the rest are plain lines.
      var ul = el("ul", { className: "" });
      (s.items || []).forEach(function (item) {
        var text = itemText(item);
        var action = typeof item === "object" && item !== null ? !!item.action : /材料|签|盖章/.test(str(s.title));
        if (!action) { ul.appendChild(el("li", { className: "plain", text: text })); return; }
        var id = "check-" + (counter++);
        var cb = el("input", { id: id, attrs: { type: "checkbox" } });
        cb.checked = !!saved[text];
        cb.addEventListener("change", function () {
          saved[text] = cb.checked;
          storage.set(checklistKey(), JSON.stringify(saved));
        });
        ul.appendChild(el("li", {}, [el("label", { attrs: { "for": id } }, [cb, el("span", { text: text })])]));
      });
      box.appendChild(el("h4", { text: str(s.title) }));
      box.appendChild(ul);
    });
    return box;
  }

  /* A download link to copy into the phone's browser: it carries a ticket valid for an hour, so the row
     says so instead of showing the long address (the address is shown only if copying fails). */
  function copyRow(url, what) {
    var btn = el("button", { className: "link-btn", attrs: { type: "button" }, text: "复制" + what + "下载链接" });
    btn.addEventListener("click", function () { copyText(url).then(function (ok) { flash(btn, ok, url); }); });
    return el("div", { className: "copy-url" }, [btn, el("span", { className: "basis", text: "（1 小时内有效）" })]);
  }

  function linkButton(url, text, className, docId, download) {
    return el("a", {
      className: "btn " + className + " file-link",
      attrs: { href: url, download: download === false ? null : (download || ""), "data-doc-id": docId || null, rel: "noopener", target: download === false ? "_blank" : null },
      text: text
    });
  }

  /* Download buttons for documents (.docx, and PDF when the server offers it) and, given a state, its
     checklist (a page to open, and its PDF). Only keys that are present are shown. */
  function downloadButtons(docs, checklistState) {
    var box = el("div", { className: "docs" });
    (docs || []).forEach(function (doc) {
      var title = str(doc.title || doc.filename || "申报表");
      var url = resolveUrl(doc.url);
      var pdf = resolveUrl(doc.pdf_url);
      if (pdf) box.appendChild(linkButton(pdf, "下载 " + title + "（PDF，可直接打印）", "btn-primary doc-download doc-pdf", doc.id, ""));
      if (url) box.appendChild(linkButton(url, "下载 " + title + "（Word）", (pdf ? "btn-ghost" : "btn-primary") + " doc-download", doc.id, doc.filename || ""));
      if (url && IN_APP) box.appendChild(copyRow(pdf || url, title));
    });
    if (checklistState) {
      var page = resolveUrl(checklistState.checklist_url);
      var cpdf = resolveUrl(checklistState.checklist_pdf_url);
      if (page) box.appendChild(linkButton(page, "打开提交清单（可打印）", "btn-ghost checklist-download", null, false));
      if (cpdf) box.appendChild(linkButton(cpdf, "下载提交清单（PDF）", "btn-ghost checklist-download checklist-pdf", null, ""));
    }
    return box;
  }

  function telLink(phone) {
    var digits = str(phone).replace(/[^0-9+]/g, "");
    return el("a", { className: "btn btn-ghost tel", attrs: { href: "tel:" + digits }, text: "☎ " + str(phone) });
  }

  /* Plain steps for after 确认: print, sign, stamp, post by the courier to the address by the date. */
  function renderSteps(state) {
    var sub = state.submit || {};
    var list = state.checklist || {};
    var section = function (re) {
      var found = (list.sections || []).filter(function (s) { return re.test(str(s.title)); })[0];
      return found ? (found.items || []).map(itemText) : [];
    };
    var ol = el("ol", { className: "steps", attrs: { "data-testid": "steps" } });
    var copies = typeof sub.copies === "number" && sub.copies > 0 ? sub.copies : null;
    ol.appendChild(el("li", { text: "打印申报表" + (copies ? " " + copies + " 份" : "") + "（A4 纸，用下面的按钮下载）。" }));
    section(/签|盖章/).forEach(function (t) { ol.appendChild(el("li", { text: t })); });
    var materials = section(/材料/);
    if (materials.length) ol.appendChild(el("li", { text: "按下面的清单准备材料（共 " + materials.length + " 项），逐项打勾。" }));
    if (sub.address) {
      var how = sub.handover ? "交到：" : sub.courier ? "用" + str(sub.courier) + "快递寄到：" : "寄到或送到：";
      ol.appendChild(el("li", {}, [
        el("span", { text: how }),
        el("strong", { className: "address", text: str(sub.address) + (sub.recipient ? "（收件人：" + str(sub.recipient) + "）" : "") }),
        sub.deadline ? el("span", { text: "，请于 " + str(sub.deadline) + (sub.handover ? " 前交到。" : " 前寄到。") }) : null
      ]));
    }
    if (!sub.handover) ol.appendChild(el("li", { text: "寄出后在这里发送“已寄出”加运单号，例如：已寄出 SF1234567890123" }));
    return el("section", { className: "end-steps", attrs: { "aria-label": "接下来要做的事" } }, [el("h3", { text: "接下来要做的事" }), ol]);
  }

  /* Whom to call (tap-to-call links) and the QQ group (a copy button). */
  function renderContacts(state) {
    var sub = state.submit || {};
    var contacts = Array.isArray(sub.contacts) ? sub.contacts : [];
    var box = el("section", { className: "end-contacts", attrs: { "aria-label": "联系方式" } });
    if (contacts.length || sub.qq_group) {
      var c = el("div", { className: "contacts" }, [el("h4", { text: "有问题请联系" + (sub.institution ? str(sub.institution) : "") })]);
      contacts.forEach(function (p) {
        c.appendChild(el("p", { className: "contact-name", text: str(p.name) + (p.duty ? "（" + str(p.duty) + "）" : "") }));
        c.appendChild(el("p", { className: "tel-row" }, (p.phones || []).map(telLink)));
      });
      if (sub.qq_group) {
        var qq = str(sub.qq_group);
        var copy = el("button", { className: "btn btn-ghost qq-copy", attrs: { type: "button" }, text: "复制群号" });
        copy.addEventListener("click", function () { copyText(qq).then(function (ok) { flash(copy, ok, qq); }); });
        c.appendChild(el("p", { className: "qq-row" }, [el("span", { text: "申报 QQ 群：" }), el("strong", { className: "qq", text: qq }), copy]));
      }
      box.appendChild(c);
    }
    return box;
  }

  /* Where the application stands with the institution (已寄出, 材料退回 with the coordinator's reason, ...):
     text only, whatever the reason holds. After a return the applicant is offered to correct it. */
  function reviewBox(review) {
    var box = el("section", {
      className: "review-status review-" + str(review.status),
      attrs: { "aria-label": "审核状态", "data-testid": "review-status" }
    }, [el("p", { className: "review-name" }, [el("span", { text: "审核状态：" }), el("strong", { text: str(review.name) })])]);
    if (review.waybill) box.appendChild(el("p", { className: "basis", text: "顺丰运单号：" + str(review.waybill) }));
    if (review.reason) box.appendChild(el("p", { className: "review-reason", text: "受理机构说明：" + str(review.reason) }));
    if (review.can_correct) {
      box.appendChild(el("p", { className: "basis", text: "请点“修改”按说明更正答案，改完回复“确认”会重新生成申报表。" }));
      box.appendChild(el("p", {}, [el("button", {
        className: "btn btn-primary review-correct", attrs: { type: "button" }, text: "修改",
        on: { click: sendCommand("edit") }
      })]));
    }
    return box;
  }

  function renderReviewCard(state) {
    var old = document.querySelector(".card.review-card");
    if (old) old.parentNode.removeChild(old);
    if (!state || !state.review || state.status === "complete") return null;
    return append(el("div", { className: "card review-card" }, [reviewBox(state.review)]));
  }

  function renderResult(state, doneData) {
    var old = document.querySelector(".card.result");
    if (old) old.parentNode.removeChild(old);
    var card = el("div", { className: "card result", attrs: { "data-testid": "result" } }, [el("h2", { text: "✓ 填写完成，申报表已生成" })]);
    if (state && state.review) card.appendChild(reviewBox(state.review));
    var rows = outcomeRows(state, doneData);
    if (rows.length) {
      var dl = el("dl");
      rows.forEach(function (row) {
        dl.appendChild(el("dt", { text: str(row[0]) }));
        dl.appendChild(el("dd", { text: str(row[1]) }));
      });
      card.appendChild(el("section", { className: "outcome", attrs: { "aria-label": "评价结果" } }, [dl]));
    }
    card.appendChild(renderSteps(state));
    var docs = downloadButtons(state.documents || [], state);
    if (docs.childNodes.length) card.appendChild(docs);
    card.appendChild(renderContacts(state));
    if (state.pdf_available === false) {
      card.appendChild(el("p", { className: "basis", text: "暂时无法生成 PDF，请下载 Word 文件打印。" }));
    }
    if (IN_APP) {
      card.appendChild(el("p", { className: "basis", text: "在微信/QQ 里下载不了时：点“复制下载链接”，粘贴到手机浏览器打开；或点右上角“···”选“在浏览器打开”。" }));
    }
    if (state.checklist) card.appendChild(renderChecklist(state.checklist));
    card.appendChild(el("p", { className: "basis", text: "如需更改答案，点下方“修改”，改完重新确认后会重新生成申报表。" }));
    return append(card);
  }

  /* An ineligible stop: the 书面说明 to download, when the server offers it. */
  function renderExplanation(state) {
    var old = document.querySelector(".card.explanation");
    if (old) old.parentNode.removeChild(old);
    if (!state) return null;
    var docx = resolveUrl(state.explanation_url);
    var pdf = resolveUrl(state.explanation_pdf_url);
    if (!docx && !pdf) return null;
    var box = el("div", { className: "docs" });
    if (pdf) box.appendChild(linkButton(pdf, "下载书面说明（PDF）", "btn-primary doc-download explanation-pdf", null, ""));
    if (docx) box.appendChild(linkButton(docx, "下载书面说明（Word）", (pdf ? "btn-ghost" : "btn-primary") + " doc-download explanation-docx", null, ""));
    return append(el("div", { className: "card explanation", attrs: { "data-testid": "explanation" } }, [
      el("h3", { text: "书面说明" }),
      el("p", { className: "basis", text: "说明不符合申报条件的原因和依据，以及受理机构的联系方式。" }),
      box
    ]));
  }

  /* Links to documents that no longer exist (the application was reopened) are taken off the page. */
  function retireDownloads() {
    Array.prototype.forEach.call(messages.querySelectorAll("a.file-link"), function (a) {
      var note = el("span", { className: "btn btn-ghost stale-link", attrs: { "aria-disabled": "true" }, text: a.textContent + "（需重新确认后生成）" });
      a.parentNode.replaceChild(note, a);
    });
    Array.prototype.forEach.call(messages.querySelectorAll(".copy-url"), removeNode);
  }

  // ------------------------------------------------------------ composer

  function configureComposer(d) {
    var type = d ? d.type : null;
    var mode = "text";
    if (type === "number" || type === "cn_id_number" || type === "cn_mobile" || type === "cn_postcode") mode = "numeric";
    if (type === "cn_phone") mode = "tel";
    input.setAttribute("inputmode", mode);
    input.classList.toggle("long", type === "long_text");
    input.rows = type === "long_text" ? 4 : 1;
    input.setAttribute("placeholder", d && d.example ? "例如：" + str(d.example) : d && (type === "image" || type === "file") ? "也可以输入“跳过”等文字" : "请输入回答");
    input.setAttribute("autocapitalize", type === "cn_id_number" || type === "cn_uscc" ? "characters" : "off");
    var label = $("input-label");
    if (label) label.textContent = d && d.prompt ? "回答：" + str(d.prompt) : "回答";
    btnX.hidden = type !== "cn_id_number";
    var wantsUpload = type === "image" || type === "file" || !!(d && d.photo);
    uploadRow.hidden = !wantsUpload;
    uploadKind = type === "file" ? "file" : "image";
    upload.setAttribute("accept", type === "file" ? "application/pdf,image/jpeg,image/png" : "image/jpeg,image/png");
    if (type === "file") upload.removeAttribute("capture"); else upload.setAttribute("capture", "user");
    var cam = $("upload-camera");
    if (cam) {
      cam.hidden = type === "file";
      cam.textContent = d && (d.photo || type === "image") ? "上传照片" : "拍照上传";
    }
    var pick = $("upload-pick");
    if (pick) pick.textContent = type === "file" ? "选择文件上传（PDF/JPG/PNG）" : "从相册选择";
    autoGrow();
  }

  function autoGrow() {
    input.style.height = "auto";
    var max = Math.round(window.innerHeight * 0.4);
    input.style.height = Math.min(input.scrollHeight + 2, max) + "px";
  }

  function updateCounter() {
    var len = input.value.length;
    if (len > MAX_TEXT * 0.9) {
      hint.textContent = "已输入 " + len + "/" + MAX_TEXT + " 字" + (len > MAX_TEXT ? "，超出上限" : "");
      hint.classList.toggle("over", len > MAX_TEXT);
    } else {
      hint.textContent = "回车发送，Shift+回车换行";
      hint.classList.remove("over");
    }
  }

  function filterChoices() {
    var box = activeControls.filter(function (c) { return c.getAttribute("data-filter") === "1"; })[0];
    if (!box) return;
    var q = input.value.trim();
    Array.prototype.forEach.call(box.querySelectorAll(".choice"), function (b) {
      b.hidden = !!q && b.textContent.indexOf(q) < 0 && !b.classList.contains("secondary");
    });
  }

  function setBusy(on) {
    busy = on;
    sendBtn.disabled = on;
    input.readOnly = on;
    root.setAttribute("aria-busy", on ? "true" : "false");
    toolButtons.forEach(function (b) { b.disabled = on || (!token && b.id !== "btn-help"); });
    ["upload-camera", "upload-pick"].forEach(function (id) { var b = $(id); if (b) b.disabled = on; });
    activeControls.forEach(function (box) {
      Array.prototype.forEach.call(box.querySelectorAll("button"), function (b) {
        if (on) {
          b.setAttribute("data-was-disabled", b.disabled ? "1" : "0");
          b.disabled = true;
        } else if (b.hasAttribute("data-was-disabled")) {
          b.disabled = b.getAttribute("data-was-disabled") === "1";
          b.removeAttribute("data-was-disabled");
        }
      });
    });
    var typing = $("typing");
    if (on && !typing) {
      append(el("div", { id: "typing", className: "typing", attrs: { "aria-hidden": "true" }, text: "正在处理" }));
      scrollToBottom();
    } else if (!on && typing) {
      typing.parentNode.removeChild(typing);
    }
  }

  function focusAfterReply() {
    var target = null;
    for (var i = activeControls.length - 1; i >= 0 && !target; i--) {
      target = activeControls[i].querySelector("button.choice:not([hidden]):not(:disabled)");
    }
    // On phones, don't pop the keyboard up (or draw focus rings) after a tap: move focus only when the
    // applicant was typing. Keyboard and desktop users always get focus on the next thing to answer.
    if (COARSE && !lastActionTyped) return;
    if (!target) target = input;
    if (!target && uploadRow && !uploadRow.hidden) target = $("upload-camera").hidden ? $("upload-pick") : $("upload-camera");
    if (target) {
      try { target.focus({ preventScroll: true }); } catch (e) { target.focus(); }
    }
  }

  // ------------------------------------------------------------ actions

  function signature(action) {
    if (action.type === "upload") return "upload:" + action.file.name + ":" + action.file.size + ":" + action.file.lastModified;
    if (action.type === "command") return "command:" + action.command + ":" + (action.arg || "");
    return "text:" + action.text;
  }

  function perform(action) {
    if (busy) return Promise.resolve();
    if (!token && action.type === "upload") {
      errorBubble("请先回答上面的问题。");
      return Promise.resolve();
    }
    var sig = signature(action);
    if (!action.msgId) action.msgId = failed && failed.sig === sig ? failed.msgId : uuid();
    lastActionTyped = !!action.typed;

    var bubble;
    if (action.type === "upload") {
      bubble = uploadBubble(action.file);
    } else {
      bubble = userBubble(action.type === "command" ? action.label : action.label || action.text, "pending");
    }
    scrollToBottom();
    setBusy(true);

    var req;
    if (action.type === "upload") {
      req = request("PUT", "/session/upload", action.file, {
        "Content-Type": action.file.type || "application/octet-stream",
        "X-Filename": encodeURIComponent(action.file.name || "upload"),
        "X-Msg-Id": action.msgId
      }, 120000);
    } else {
      var body = action.type === "command" ? { command: action.command, msg_id: action.msgId } : { text: action.text, msg_id: action.msgId };
      if (action.type === "command" && action.arg) body.arg = action.arg;
      // The question this answers (contract C1): a stale one is refused and the current one shown again.
      if (action.key) body.key = action.key;
      if (token) {
        req = request("POST", "/session/messages", body);
      } else {
        // The first answer creates the application (opening the page stores nothing).
        body.campaign = CAMPAIGN;
        req = request("POST", "/sessions", body);
      }
    }

    return req.then(function (res) {
      setBusy(false);
      if (res.ok && res.data) {
        failed = null;
        if (!token && res.data.token) {
          rememberToken(res.data.token);
          justCreated = true;
        }
        bubble.classList.remove("pending");
        var rendered = renderReplies(res.data.replies, true, res.data.state);
        applyState(res.data.state);
        afterReplies(res.data.replies, res.data.state);
        var finished = (res.data.replies || []).some(function (r) { return r && r.kind === "done"; });
        var card = finished ? document.querySelector(".card.result") : null;
        if (card) scrollToNode(card); else reveal(bubble, rendered);
        focusAfterReply();
        return;
      }
      // A definite refusal (bad size/type/too long): the action was not applied.
      failed = { sig: sig, msgId: action.msgId };
      if (res.data && Array.isArray(res.data.replies) && res.data.replies.length) {
        // The refusal was logged as a turn (e.g. a fake image): show the bot's answer to it.
        bubble.classList.remove("pending");
        bubble.classList.add("failed");
        bubble.appendChild(el("span", { className: "failed-note", text: "未被接受" }));
        var hasError = res.data.replies.some(function (r) { return r && r.kind === "error"; });
        if (!hasError) errorBubble(errorMessage(res.status, res.data));
        var shown = renderReplies(res.data.replies, true, res.data.state);
        applyState(res.data.state);
        reveal(bubble, shown);
        focusAfterReply();
        return;
      }
      removeNode(bubble);
      if (res.status === 404 && !(res.data && res.data.replies)) {
        sessionLost();
        restoreInput(action);
        return;
      }
      var retryable = res.status >= 500 || res.status === 429 || res.status === 408;
      errorBubble(errorMessage(res.status, res.data), retryable ? function () { retry(action); } : null);
      restoreInput(action);
      scrollToBottom();
      focusAfterFailure(action);
    }, function () {
      setBusy(false);
      removeNode(bubble);
      failed = { sig: sig, msgId: action.msgId };
      errorBubble(navigator.onLine === false
        ? "网络已断开。请连上网络后点“重试”，您的输入已保留。"
        : "网络连接失败或超时。请点“重试”，您的输入已保留。", function () { retry(action); });
      restoreInput(action);
      scrollToBottom();
      focusAfterFailure(action);
    });
  }

  function retry(action) {
    if (action.type === "text" && action.typed && input.value === action.text) {
      input.value = "";
      autoGrow();
    }
    perform(action);
  }

  function removeNode(node) {
    if (node && node.parentNode) node.parentNode.removeChild(node);
  }

  function restoreInput(action) {
    if (action.type !== "text" || !action.typed) return;
    if (!input.value) input.value = action.text;
    else if (input.value !== action.text) input.value = action.text + "\n" + input.value;
    autoGrow();
    updateCounter();
  }

  function focusAfterFailure(action) {
    if (action.type === "text" && action.typed) {
      try { input.focus({ preventScroll: true }); } catch (e) { input.focus(); }
    } else {
      focusAfterReply();
    }
  }

  function afterReplies(replies, state) {
    var done = (replies || []).filter(function (r) { return r && r.kind === "done"; })[0];
    var moved = (replies || []).some(function (r) { return r && r.data && r.data.review_status; });
    if (state && state.status === "complete" && (done || moved || !document.querySelector(".card.result"))) {
      var anchor = done ? findLast(".msg.bot.done") : null;
      var card = renderResult(state, done && done.data);
      if (anchor) {
        // The result card says everything the plain "done" text says, with the downloads.
        messages.insertBefore(card, anchor);
        removeNode(anchor);
      }
    }
  }

  function findLast(selector) {
    var all = messages.querySelectorAll(selector);
    return all.length ? all[all.length - 1] : null;
  }

  function uploadBubble(file) {
    var node = el("div", { className: "msg user upload pending" });
    if (/^image\/(jpeg|png)$/.test(file.type) && window.URL && URL.createObjectURL) {
      var img = el("img", { className: "preview", attrs: { alt: "待上传的照片预览：" + file.name } });
      var url = URL.createObjectURL(file);
      img.addEventListener("load", function () { URL.revokeObjectURL(url); });
      img.addEventListener("error", function () { URL.revokeObjectURL(url); removeNode(img); });
      img.src = url;
      node.appendChild(img);
    }
    node.appendChild(el("span", { className: "file-name", text: (/^image\//.test(file.type) ? "照片：" : "文件：") + file.name }));
    return append(node);
  }

  function submitText() {
    if (busy) return;
    var text = input.value;
    if (!text.trim()) {
      input.focus();
      return;
    }
    input.value = "";
    autoGrow();
    updateCounter();
    filterChoices();
    perform({ type: "text", text: text.replace(/\s+$/, ""), typed: true, key: question && question.key ? String(question.key) : null });
  }

  function onFile() {
    var file = upload.files && upload.files[0];
    upload.value = "";
    if (!file) return;
    if (file.size > MAX_UPLOAD) {
      errorBubble("文件太大（" + (file.size / 1048576).toFixed(1) + " MB）：请上传不超过 10 MB 的文件。");
      scrollToBottom();
      return;
    }
    if (file.size === 0) {
      errorBubble("这个文件是空的，请重新选择。");
      return;
    }
    perform({ type: "upload", file: file });
  }

  // ------------------------------------------------------------ session lifecycle

  function clearMessages() {
    retireControls();
    while (messages.firstChild) messages.removeChild(messages.firstChild);
  }

  function sessionLost() {
    forgetToken();
    var node = errorBubble("这次填写记录已失效（可能已被清除）。");
    var btn = el("button", { className: "btn btn-small", attrs: { type: "button" }, text: "重新开始填写" });
    btn.addEventListener("click", function () { clearMessages(); startNew(); });
    node.appendChild(el("div", { className: "retry" }, [btn]));
    activeControls.push(btn.parentNode);
    toolButtons.forEach(function (b) { b.disabled = true; });
  }

  /* Drop transcript entries that are repeated as the current replies. */
  function withoutTail(transcript, replies) {
    var n = replies.length;
    if (!n || transcript.length < n) return transcript;
    var tail = transcript.slice(transcript.length - n);
    var same = tail.every(function (t, i) {
      return t && t.who !== "user" && t.kind === replies[i].kind && t.text === replies[i].text;
    });
    if (same) return transcript.slice(0, transcript.length - n);
    var lastT = transcript[transcript.length - 1];
    var lastR = replies[n - 1];
    if (lastT && lastT.who !== "user" && lastR && lastT.kind === lastR.kind && lastT.text === lastR.text) {
      return transcript.slice(0, transcript.length - 1);
    }
    return transcript;
  }

  /* After the applicant's last words, a reopened conversation (a resume, a reload) repeats what was said
     last: keep one copy of each bot reply there, and none of those the current replies show again. */
  function withoutRepeats(transcript, replies) {
    var lastUser = -1;
    transcript.forEach(function (t, i) { if (t && t.who === "user") lastUser = i; });
    var seen = {};
    replies.forEach(function (r) { if (r) seen[r.kind + "\u0000" + r.text] = true; });
    var keep = transcript.slice(0, lastUser + 1);
    transcript.slice(lastUser + 1).forEach(function (t) {
      var sig = t ? t.kind + "\u0000" + t.text : "";
      if (!t || seen[sig]) return;
      seen[sig] = true;
      keep.push(t);
    });
    return keep;
  }

  function renderSession(data) {
    clearMessages();
    var replies = Array.isArray(data.replies) ? data.replies : [];
    var transcript = withoutRepeats(withoutTail(Array.isArray(data.transcript) ? data.transcript : [], replies), replies);
    transcript.forEach(function (entry) {
      if (!entry) return;
      if (entry.who === "user") renderUserEntry(entry);
      else renderReply(entry, false);
    });
    if (transcript.length) {
      append(el("div", { className: "msg bot notice resumed", text: "已恢复上次的填写进度，可以继续。" }));
    }
    var rendered = renderReplies(replies, true, data.state);
    applyState(data.state);
    if (data.resume_code) setResumeCode(data.resume_code);
    afterReplies(replies, data.state);
    renderReviewCard(data.state);
    setBusy(false);
    var result = document.querySelector(".card.result");
    if (result && !rendered.interactive) scrollToNode(result);
    else reveal(rendered.interactive || rendered.first, rendered);
    focusAfterReply();
  }

  /* A new conversation: its opening (introduction and first question) is computed by the server and
     stored nowhere; the application is created with the first answer (see perform). */
  function startNew() {
    setBusy(true);
    return request("GET", "/sessions/opening?campaign=" + encodeURIComponent(CAMPAIGN)).then(function (res) {
      setBusy(false);
      if (res.ok && res.data && Array.isArray(res.data.replies)) {
        renderSession(res.data);
        return;
      }
      errorBubble(res.status === 404 ? "找不到这个申报批次，请核对链接。" : errorMessage(res.status, res.data), res.status === 404 ? null : startNew);
    }, function () {
      setBusy(false);
      errorBubble("无法连接服务器，请检查网络后点“重试”。", startNew);
    });
  }

  /* 帮助 before the first answer: answered without creating anything. */
  function helpBeforeStart() {
    if (busy) return;
    userBubble("帮助");
    setBusy(true);
    request("GET", "/sessions/opening?command=help&campaign=" + encodeURIComponent(CAMPAIGN)).then(function (res) {
      setBusy(false);
      if (res.ok && res.data) {
        var rendered = renderReplies(res.data.replies, true);
        reveal(rendered.first, rendered);
        focusAfterReply();
      } else {
        errorBubble(errorMessage(res.status, res.data));
      }
    }, function () {
      setBusy(false);
      errorBubble("网络连接失败，请重试。");
    });
  }

  function loadSession(t) {
    token = t;
    setBusy(true);
    return request("GET", "/session").then(function (res) {
      setBusy(false);
      if (res.ok && res.data) {
        var other = res.data.state && res.data.state.campaign && res.data.state.campaign.id;
        if (other && other !== CAMPAIGN) {
          goToCampaign(other, t);
          return;
        }
        rememberToken(t);
        renderSession(res.data);
        return;
      }
      if (res.status === 404 || res.status === 400 || res.status === 422) {
        forgetToken();
        startNew();
        return;
      }
      errorBubble(errorMessage(res.status, res.data), function () { loadSession(t); });
    }, function () {
      setBusy(false);
      errorBubble("无法连接服务器，请检查网络后点“重试”。", function () { loadSession(t); });
    });
  }

  function goToCampaign(id, t) {
    storage.set("shenbao:token:" + id, t);
    try {
      var url = new URL(location.href);
      url.pathname = url.pathname.replace(/[^/]+\/?$/, encodeURIComponent(id));
      url.searchParams.delete("t");
      location.replace(url.toString());
    } catch (e) {
      location.reload();
    }
  }

  // ------------------------------------------------------------ resume code UI

  function setupResume() {
    var open = $("resume-open");
    var copy = $("resume-copy");
    var formEl = $("resume-form");
    var field = $("resume-input");
    var cancel = $("resume-cancel");
    var err = $("resume-error");
    if (copy) copy.addEventListener("click", function () {
      var code = $("resume-code").textContent;
      copyText(code).then(function (ok) { flash(copy, ok, code); });
    });
    if (!open || !formEl) return;
    open.addEventListener("click", function () {
      formEl.hidden = false;
      err.hidden = true;
      field.focus();
    });
    cancel.addEventListener("click", function () {
      formEl.hidden = true;
      open.focus();
    });
    formEl.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.stopPropagation(); formEl.hidden = true; open.focus(); }
    });
    var last4Row = $("resume-last4-row");
    var last4 = $("resume-last4");
    var renew = $("resume-renew");
    if (renew) renew.addEventListener("click", function () {
      if (!token || !window.confirm("换一个新的续填码？旧续填码立即作废，其他设备上打开的这份填写需要用新码重新进入。")) return;
      renew.disabled = true;
      var body = {};
      if (lastState && lastState.id_given) {
        var typed = window.prompt("请输入身份证号码后四位以确认：");
        if (!typed) { renew.disabled = false; return; }
        body.id_last4 = typed.replace(/\s+/g, "").toUpperCase();
      }
      request("POST", "/session/resume-code", body).then(function (res) {
        renew.disabled = false;
        if (res.ok && res.data && res.data.resume_code) {
          setResumeCode(res.data.resume_code);
          botBubble("已换新续填码：" + res.data.resume_code + "。旧续填码已作废，请记下新码。", "notice");
          scrollToBottom();
        } else {
          errorBubble(errorMessage(res.status, res.data));
        }
      }, function () {
        renew.disabled = false;
        errorBubble("网络连接失败，请重试。");
      });
    });
    formEl.addEventListener("submit", function (e) {
      e.preventDefault();
      var code = field.value.replace(/\s+/g, "").toUpperCase();
      if (!code) { field.focus(); return; }
      var body = { code: code };
      if (!last4Row.hidden && last4.value.trim()) body.id_last4 = last4.value.replace(/\s+/g, "").toUpperCase();
      var submit = formEl.querySelector("button[type=submit]");
      submit.disabled = true;
      request("POST", "/sessions/resume", body).then(function (res) {
        submit.disabled = false;
        if (res.ok && res.data && res.data.token) {
          formEl.hidden = true;
          field.value = "";
          last4.value = "";
          last4Row.hidden = true;
          var other = res.data.state && res.data.state.campaign && res.data.state.campaign.id;
          if (other && other !== CAMPAIGN) { goToCampaign(other, res.data.token); return; }
          failed = null;
          loadSession(res.data.token);
          return;
        }
        err.textContent = errorMessage(res.status, res.data);
        err.hidden = false;
        if (res.data && res.data.need === "id_last4") {
          last4Row.hidden = false;
          last4.focus();
        } else {
          field.focus();
        }
      }, function () {
        submit.disabled = false;
        err.textContent = "网络连接失败，请重试。";
        err.hidden = false;
      });
    });
  }

  // ------------------------------------------------------------ phone layout

  /* While answering, the header is one line (title, progress, a button to open the rest). */
  function setupHeader() {
    var toggle = $("header-toggle");
    if (!toggle) return;
    toggle.addEventListener("click", function () {
      var open = !root.classList.contains("header-open");
      root.classList.toggle("header-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      toggle.setAttribute("aria-label", open ? "收起" : "展开批次信息和续填码");
    });
  }

  function setAnswering() {
    root.classList.toggle("answering", !!token);
  }

  /* The question being answered stays in sight above the on-screen keyboard: the page is fitted to the
     visual viewport (what the keyboard leaves) and the messages scrolled to the question. */
  function keepQuestionVisible() {
    var bubble = findLast(".msg.bot.question");
    if (!bubble || !question) return;
    var top = bubble.offsetTop - 6;
    if (messages.scrollHeight - top <= messages.clientHeight) scrollToBottom();
    else messages.scrollTop = top;
  }

  function setupKeyboard() {
    var vv = window.visualViewport;
    var lastHeight = 0;
    var fit = function () {
      var h = Math.round(vv ? vv.height : window.innerHeight);
      root.style.height = h + "px";
      root.style.transform = vv && vv.offsetTop ? "translateY(" + Math.round(vv.offsetTop) + "px)" : "";
      var typing = document.activeElement === input;
      root.classList.toggle("keyboard", typing && h < 520);
      // the keyboard came or went while typing: bring the question back into sight
      if (typing && h !== lastHeight) keepQuestionVisible();
      lastHeight = h;
    };
    if (vv) {
      vv.addEventListener("resize", fit);
      vv.addEventListener("scroll", fit);
    }
    window.addEventListener("resize", fit);
    input.addEventListener("focus", function () { fit(); window.setTimeout(fit, 300); });
    input.addEventListener("blur", function () { window.setTimeout(fit, 50); });
    fit();
  }

  // ------------------------------------------------------------ in-app browser banner

  function setupInApp() {
    var banner = $("inapp-banner");
    if (!banner || !IN_APP || session.get("shenbao:inapp-dismissed") === "1") return;
    var name = banner.querySelector(".inapp-name");
    if (name) name.textContent = IN_WECHAT ? "微信" : "QQ";
    banner.hidden = false;
    var copy = $("inapp-copy");
    copy.addEventListener("click", function () {
      var url = shareUrl();
      copyText(url).then(function (ok) { flash(copy, ok, url); });
    });
    $("inapp-close").addEventListener("click", function () {
      banner.hidden = true;
      session.set("shenbao:inapp-dismissed", "1");
      input.focus();
    });
  }

  // ------------------------------------------------------------ wiring

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    submitText();
  });

  input.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.shiftKey || e.altKey) return;
    if (e.isComposing || e.keyCode === 229) return; // Chinese IME: Enter confirms the candidate
    e.preventDefault();
    submitText();
  });

  input.addEventListener("input", function () {
    autoGrow();
    updateCounter();
    filterChoices();
  });

  btnX.addEventListener("click", function () {
    var start = input.selectionStart === undefined ? input.value.length : input.selectionStart;
    var end = input.selectionEnd === undefined ? input.value.length : input.selectionEnd;
    input.value = input.value.slice(0, start) + "X" + input.value.slice(end);
    input.focus();
    try { input.setSelectionRange(start + 1, start + 1); } catch (e) { /* ignore */ }
  });

  $("btn-back").addEventListener("click", sendCommand("back"));
  $("btn-edit").addEventListener("click", sendCommand("edit"));
  $("btn-review").addEventListener("click", sendCommand("review"));
  var help = $("btn-help");
  var helpCommand = sendCommand("help");
  if (help) help.addEventListener("click", function () { if (token) helpCommand(); else helpBeforeStart(); });
  var download = $("btn-download");
  if (download) download.addEventListener("click", showDownloads);

  upload.addEventListener("change", onFile);
  $("upload-camera").addEventListener("click", function () {
    upload.setAttribute("capture", "user");
    upload.click();
  });
  $("upload-pick").addEventListener("click", function () {
    upload.removeAttribute("capture");
    upload.click();
    window.setTimeout(function () { if (uploadKind === "image") upload.setAttribute("capture", "user"); }, 1000);
  });

  // Inside the widget: Esc asks the host page to close the panel.
  if (EMBEDDED && window.parent !== window) {
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && !e.defaultPrevented) {
        window.parent.postMessage({ type: "shenbao:close" }, "*");
      }
    });
  }

  window.addEventListener("resize", autoGrow);

  /* A download link older than its ticket is swapped for a fresh one before it is followed. */
  messages.addEventListener("click", function (e) {
    var a = e.target && e.target.closest ? e.target.closest("a.doc-download, a.checklist-download") : null;
    if (!a || !token || Date.now() < linksValidUntil || /explanation/.test(a.className)) return;
    e.preventDefault();
    var docId = a.getAttribute("data-doc-id");
    request("GET", "/session").then(function (res) {
      if (!res.ok || !res.data || !res.data.state) { errorBubble(errorMessage(res.status, res.data)); return; }
      applyState(res.data.state);
      var oldCard = document.querySelector(".card.result");
      var after = oldCard ? oldCard.nextSibling : null;
      var card = renderResult(res.data.state, null);
      if (after && after.parentNode === messages) messages.insertBefore(card, after);
      var st = res.data.state;
      if (st.status !== "complete") return;
      var fresh = docId ? (st.documents || []).filter(function (d) { return d.id === docId; })[0] : null;
      if (docId && !fresh) { errorBubble("这份文件已不再提供，请用上面新的下载按钮。"); return; }
      var pdf = /\bdoc-pdf\b/.test(a.className);
      var checklistPdf = /\bchecklist-pdf\b/.test(a.className);
      var url = resolveUrl(fresh ? (pdf ? fresh.pdf_url : fresh.url) : checklistPdf ? st.checklist_pdf_url : st.checklist_url);
      if (url) location.href = url;
    }, function () { errorBubble("网络连接失败，请重试。"); });
  });

  setupResume();
  setupInApp();
  setupHeader();
  setupKeyboard();
  toolButtons.forEach(function (b) { b.disabled = true; });

  dropUrlToken();
  var initial = storage.get(TOKEN_KEY);
  if (initial) loadSession(initial); else startNew();
})();
