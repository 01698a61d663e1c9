// Huimin public site: reading modes (大字, 高对比) and read-aloud.
// Plain ES5 so that old WeChat browsers run it; loaded with defer.
(function () {
  "use strict";
  var root = document.documentElement;

  // Reading modes. head.html applies the stored choice before first paint;
  // here the buttons change and remember it.
  function store(key, on) {
    try {
      if (on) localStorage.setItem(key, "1");
      else localStorage.removeItem(key);
    } catch (e) { /* private mode: the choice lasts for this page only */ }
  }
  function has(cls) { return (" " + root.className + " ").indexOf(" " + cls + " ") >= 0; }
  function set(cls, on) {
    var list = root.className.split(/\s+/).filter(function (c) { return c && c !== cls; });
    if (on) list.push(cls);
    root.className = list.join(" ");
  }
  var buttons = document.querySelectorAll("button[data-mode]");
  for (var i = 0; i < buttons.length; i++) {
    (function (b) {
      var mode = b.getAttribute("data-mode");
      b.setAttribute("aria-pressed", has(mode) ? "true" : "false");
      b.addEventListener("click", function () {
        var on = !has(mode);
        set(mode, on);
        store("hm-" + mode, on);
        b.setAttribute("aria-pressed", on ? "true" : "false");
      });
    })(buttons[i]);
  }

  // Read-aloud: the browser's speech synthesis in zh-CN. Shown only where
  // the browser has it. Long texts are spoken sentence by sentence: some
  // engines stop after about 15 seconds of one utterance.
  var btn = document.getElementById("read-aloud");
  var synth = window.speechSynthesis;
  if (!btn || !synth || typeof window.SpeechSynthesisUtterance !== "function") return;
  btn.parentNode.hidden = false;
  var label = btn.querySelector(".label");
  var icon = btn.querySelector("[aria-hidden]");
  var status = btn.parentNode.querySelector(".read-status");
  var reading = false;

  function textOf() {
    var parts = [];
    var h1 = document.getElementById("story-title");
    if (h1) parts.push(h1.textContent);
    var body = document.getElementById("story-body");
    if (body) {
      var blocks = body.querySelectorAll("p, h2, h3, h4, li, blockquote, figcaption, td, th");
      if (!blocks.length) parts.push(body.textContent);
      for (var i = 0; i < blocks.length; i++) {
        if (blocks[i].closest && blocks[i].closest("blockquote") && blocks[i].tagName !== "BLOCKQUOTE") continue;
        parts.push(blocks[i].textContent);
      }
    }
    return parts.join("。\n");
  }
  function sentences(text) {
    var out = [];
    var re = /[^。！？；!?;\n]+[。！？；!?;\n]*/g;
    var m;
    while ((m = re.exec(text)) !== null) {
      var s = m[0].replace(/\s+/g, " ").trim();
      if (s && !/^[。！？；!?;\s]+$/.test(s)) out.push(s);
    }
    return out;
  }
  function show(on) {
    reading = on;
    btn.setAttribute("aria-pressed", on ? "true" : "false");
    label.textContent = on ? "停止朗读" : "朗读全文";
    icon.textContent = on ? "■" : "▶";
  }
  function stop(msg) {
    synth.cancel();
    show(false);
    status.textContent = msg || "";
  }
  function voice() {
    var vs = synth.getVoices ? synth.getVoices() : [];
    for (var i = 0; i < vs.length; i++) if (/^zh[-_]CN/i.test(vs[i].lang)) return vs[i];
    for (i = 0; i < vs.length; i++) if (/^zh/i.test(vs[i].lang)) return vs[i];
    return null;
  }
  function start() {
    var queue = sentences(textOf());
    if (!queue.length) return;
    synth.cancel();
    show(true);
    status.textContent = "正在朗读，再按一次停止。";
    var v = voice();
    var n = 0;
    function next() {
      if (!reading) return;
      if (n >= queue.length) { stop("朗读结束。"); return; }
      var u = new SpeechSynthesisUtterance(queue[n++]);
      u.lang = "zh-CN";
      if (v) u.voice = v;
      u.rate = 0.9;
      u.onend = next;
      u.onerror = function (e) {
        if (e && (e.error === "interrupted" || e.error === "canceled")) return;
        stop("本机暂时无法朗读，可以使用手机自带的读屏功能。");
      };
      synth.speak(u);
    }
    next();
  }
  btn.addEventListener("click", function () {
    if (reading) stop("已停止朗读。");
    else start();
  });
  window.addEventListener("pagehide", function () { synth.cancel(); });
})();
