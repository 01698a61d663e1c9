// Site search in the browser over the bigram index the export writes
// (site/search.go documents the format; the term rules and the hash here
// must stay the same as there). One query fetches meta.json, one shard per
// distinct term and the doc chunks of the results shown.
(function () {
  "use strict";
  var PAGE = 10;
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  var more = document.getElementById("search-more");
  var form = document.querySelector(".search .search-form");
  if (!list || !status || !form) return;
  var input = form.querySelector("input[name=q]");
  var base = (form.getAttribute("action") || "/search/") + "i/";
  var cache = {};
  var meta = null;
  var hits = [], shown = 0, words = [], seq = 0;

  var TERM = "0123456789abcdefghijklmnopqrstuv";
  var CONT = "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.~!*";

  function get(path, cb) {
    if (cache.hasOwnProperty(path)) { cb(cache[path]); return; }
    var x = new XMLHttpRequest();
    x.open("GET", base + path);
    x.onload = function () {
      var v = null;
      if (x.status === 200) { try { v = JSON.parse(x.responseText); } catch (e) { v = null; } }
      else if (x.status === 404) v = {};
      if (v !== null) cache[path] = v;
      cb(v);
    };
    x.onerror = function () { cb(null); };
    x.send();
  }

  function fold(c) {
    var n = c.charCodeAt(0);
    if (n >= 0xFF01 && n <= 0xFF5E) c = String.fromCharCode(n - 0xFEE0);
    return c.toLowerCase();
  }
  function isCJK(n) { return (n >= 0x3400 && n <= 0x9FFF) || (n >= 0xF900 && n <= 0xFAFF); }
  function isAlnum(c) { return /^[a-z0-9]$/.test(c); }
  // terms mirrors searchTerms in site/search.go.
  function terms(text) {
    var out = [], run = [], kind = 0;
    function flush() {
      if (kind === 1 && run.length === 1) out.push(run[0]);
      else if (kind === 1) for (var i = 0; i + 1 < run.length; i++) out.push(run[i] + run[i + 1]);
      else if (kind === 2) out.push(run.slice(0, 32).join(""));
      run = []; kind = 0;
    }
    for (var i = 0; i < text.length; i++) {
      var c = text.charAt(i), n = c.charCodeAt(0), k = 0;
      if (n >= 0xD800 && n <= 0xDBFF && i + 1 < text.length) { // astral CJK (extension B+)
        c = text.substr(i, 2); i++;
        var cp = (n - 0xD800) * 0x400 + (c.charCodeAt(1) - 0xDC00) + 0x10000;
        k = cp >= 0x20000 && cp <= 0x2FA1F ? 1 : 0;
      } else {
        c = fold(c); n = c.charCodeAt(0);
        k = isCJK(n) ? 1 : isAlnum(c) ? 2 : 0;
      }
      if (k !== kind) { flush(); kind = k; }
      if (k) run.push(c);
    }
    flush();
    return out;
  }
  var imul = Math.imul || function (a, b) {
    var ah = (a >>> 16) & 0xffff, al = a & 0xffff, bh = (b >>> 16) & 0xffff, bl = b & 0xffff;
    return ((al * bl) + (((ah * bl + al * bh) << 16) >>> 0)) | 0;
  };
  function hash(s) {
    var h = 2166136261 | 0;
    for (var i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = imul(h, 16777619); }
    return h >>> 0;
  }
  // decode returns {id: inTitle} for a postings string.
  function decode(s) {
    var out = {}, v = 0, last = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charAt(i), d = CONT.indexOf(c);
      if (d >= 0) { v = v * 32 + d; continue; }
      v = v * 32 + TERM.indexOf(c);
      last += Math.floor(v / 2);
      out[last] = v % 2;
      v = 0;
    }
    return out;
  }

  function say(msg) { status.textContent = msg; }

  function search(q) {
    var my = ++seq;
    q = q.replace(/^\s+|\s+$/g, "");
    list.innerHTML = "";
    more.hidden = true;
    hits = []; shown = 0;
    if (!q) { say("请输入要搜索的关键词。"); return; }
    var ts = terms(q), uniq = [], seen = {};
    for (var i = 0; i < ts.length; i++) if (!seen[ts[i]]) { seen[ts[i]] = 1; uniq.push(ts[i]); }
    if (!uniq.length) { say("请输入中文、字母或数字。"); return; }
    if (uniq.length === 1 && uniq[0].length === 1 && isCJK(uniq[0].charCodeAt(0))) {
      say("请至少输入两个字，例如“养老”。"); return;
    }
    words = q.split(/\s+/);
    say("正在搜索……");
    get("meta.json?t=" + Math.floor(Date.now() / 60000), function (m) {
      if (my !== seq) return;
      if (!m || !m.shards) { say("搜索暂时不可用，请稍后再试。"); return; }
      meta = m;
      var lists = [], pending = uniq.length, failed = false;
      uniq.forEach(function (t, i) {
        get("t/" + (hash(t) % m.shards) + ".json?v=" + m.v, function (shard) {
          if (my !== seq) return;
          if (!shard) failed = true;
          else lists[i] = shard.hasOwnProperty(t) ? decode(shard[t]) : {};
          if (--pending) return;
          if (failed) { say("搜索暂时不可用，请稍后再试。"); return; }
          rank(q, lists);
        });
      });
    });
  }

  function rank(q, lists) {
    lists.sort(function (a, b) { return Object.keys(a).length - Object.keys(b).length; });
    var ids = Object.keys(lists[0]);
    for (var i = 0; i < ids.length; i++) {
      var id = ids[i], score = 0, all = true;
      for (var j = 0; j < lists.length; j++) {
        if (!lists[j].hasOwnProperty(id)) { all = false; break; }
        score += lists[j][id];
      }
      if (all) hits.push({ id: +id, score: score });
    }
    hits.sort(function (a, b) { return b.score - a.score || b.id - a.id; });
    if (!hits.length) { say("没有找到包含“" + q + "”的稿件，请换个词试试。"); return; }
    say("找到 " + hits.length + " 篇相关稿件。");
    page();
  }

  function page() {
    var my = seq, batch = hits.slice(shown, shown + PAGE), chunks = {}, pending = 0;
    batch.forEach(function (h) { chunks[Math.floor(h.id / meta.chunk)] = 1; });
    var names = Object.keys(chunks);
    pending = names.length;
    names.forEach(function (c) {
      get("d/" + c + ".json?v=" + meta.v, function () {
        if (my !== seq || --pending) return;
        batch.forEach(function (h) {
          var d = (cache["d/" + Math.floor(h.id / meta.chunk) + ".json?v=" + meta.v] || {})[h.id];
          if (d) list.appendChild(item(d));
        });
        shown += batch.length;
        more.hidden = shown >= hits.length;
      });
    });
  }

  function marked(el, text) {
    var re = null, parts = words.filter(function (w) { return w; }).map(function (w) {
      return w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    });
    if (parts.length) re = new RegExp("(" + parts.join("|") + ")", "gi");
    var pieces = re ? text.split(re) : [text];
    for (var i = 0; i < pieces.length; i++) {
      if (!pieces[i]) continue;
      if (i % 2) { var m = document.createElement("mark"); m.textContent = pieces[i]; el.appendChild(m); }
      else el.appendChild(document.createTextNode(pieces[i]));
    }
  }

  function item(d) {
    var li = document.createElement("li");
    li.className = "story-item";
    var a = document.createElement("a");
    a.className = "story-link";
    a.href = d[1];
    marked(a, d[0]);
    li.appendChild(a);
    var p = document.createElement("p");
    p.className = "meta";
    var t = document.createElement("time");
    t.setAttribute("datetime", d[2]);
    var ymd = d[2].split("-");
    t.textContent = ymd[0] + "年" + (+ymd[1]) + "月" + (+ymd[2]) + "日";
    p.appendChild(t);
    li.appendChild(p);
    if (d[3]) {
      var s = document.createElement("p");
      s.className = "summary";
      marked(s, d[3]);
      li.appendChild(s);
    }
    return li;
  }

  more.addEventListener("click", function () {
    var first = list.children.length;
    page();
    // Move focus to the first new result once it is there.
    var tries = 0, t = setInterval(function () {
      var el = list.children[first];
      if (el || ++tries > 50) { clearInterval(t); if (el) el.querySelector("a").focus(); }
    }, 50);
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var q = input.value;
    if (window.history && history.replaceState) {
      history.replaceState(null, "", location.pathname + (q ? "?q=" + encodeURIComponent(q) : ""));
    }
    search(q);
  });
  var m = /[?&]q=([^&]*)/.exec(location.search);
  if (m) {
    var q = "";
    try { q = decodeURIComponent(m[1].replace(/\+/g, " ")); } catch (e) { q = ""; }
    input.value = q;
    search(q);
  }
})();
