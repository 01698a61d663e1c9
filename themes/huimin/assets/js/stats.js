// Huimin public site: reach statistics (issue 18). First-party only: one
// page-view beacon to this site's own API, no cookie, nothing stored in the
// browser; and, where the settings allow, the numbers the page shows
// (阅读 N on stories, the footer's 访问量, the 排行 page), fetched fresh so
// they move without a site build. Plain ES5 for old WeChat browsers.
(function () {
  "use strict";
  var d = document, w = window, loc = w.location, root = d.documentElement;
  // Admin previews are never counted.
  if (loc.pathname.indexOf("/preview/") === 0) return;

  function has(c) { return (" " + root.className + " ").indexOf(" " + c + " ") >= 0; }
  // A query parameter if it is a plain token, else "" (the API refuses
  // anything else and would then count nothing).
  function token(name) {
    var m = new RegExp("[?&]" + name + "=([a-z_]{1,32})(?:&|#|$)").exec(loc.search);
    return m ? m[1] : "";
  }
  var large = has("large"), contrast = has("contrast");
  var width = w.innerWidth || root.clientWidth || 0;
  var body = JSON.stringify({
    path: loc.pathname.slice(0, 500),
    referrer: (d.referrer || "").slice(0, 1000),
    from: token("from"),           // WeChat's share context: timeline, groupmessage, singlemessage
    src: token("hm_src"),          // hm_src=wx_article marks a WeChat article's 阅读原文 link
    mode: large && contrast ? "both" : large ? "large" : contrast ? "contrast" : "",
    viewport: width < 600 ? "phone" : width < 1024 ? "tablet" : "desktop"
  });
  var sent = false;
  function send() {
    if (sent) return;
    sent = true;
    // A string body goes as text/plain: no CORS preflight, no cookie needed.
    if (navigator.sendBeacon && navigator.sendBeacon("/api/v1/beacon", body)) return;
    try {
      var x = new XMLHttpRequest();
      x.open("POST", "/api/v1/beacon", true);
      x.setRequestHeader("Content-Type", "text/plain;charset=UTF-8");
      x.send(body);
    } catch (e) { /* not counted */ }
  }
  // A prerendered page counts once the reader actually sees it.
  if (d.prerendering) d.addEventListener("prerenderingchange", send);
  else send();

  // Public numbers.
  var views = d.querySelector("[data-stat=views]");
  var site = d.querySelector("[data-stat=site]");
  var rankLinks = d.querySelectorAll("[data-stat=ranking]");
  var ranking = d.getElementById("ranking");
  if (!views && !site && !rankLinks.length && !ranking) return;

  function get(url, done) {
    var x = new XMLHttpRequest();
    x.open("GET", url, true);
    x.onload = function () {
      var v = null;
      try { v = JSON.parse(x.responseText); } catch (e) { /* not JSON */ }
      done(x.status, v);
    };
    x.onerror = function () { done(0, null); };
    x.send();
  }
  function count(n) {
    return n >= 100000 ? Math.floor(n / 10000) + "万" : n >= 10000 ? (n / 10000).toFixed(1) + "万" : String(n);
  }
  function show(el, n) {
    el.querySelector(".n").textContent = count(n);
    el.hidden = false;
  }
  get("/api/v1/content/stats" + (views ? "?path=" + encodeURIComponent(loc.pathname) : ""), function (status, s) {
    if (status !== 200 || !s) return;
    if (views && typeof s.views === "number") show(views, s.views);
    if (site && typeof s.site_views === "number") show(site, s.site_views);
    for (var i = 0; i < rankLinks.length; i++) rankLinks[i].hidden = !s.ranking;
    if (ranking) {
      if (s.ranking) loadRanking("week");
      else rankStatus("本站未开启排行统计。");
    }
  });

  // The 排行 page: this week, this month, all time.
  function rankStatus(msg) { d.getElementById("ranking-status").textContent = msg; }
  function loadRanking(period) {
    var tabs = ranking.querySelectorAll("button[data-period]");
    for (var i = 0; i < tabs.length; i++) {
      tabs[i].setAttribute("aria-pressed", tabs[i].getAttribute("data-period") === period ? "true" : "false");
    }
    rankStatus("正在读取……");
    get("/api/v1/content/ranking?period=" + period, function (status, r) {
      var list = d.getElementById("ranking-list");
      while (list.firstChild) list.removeChild(list.firstChild);
      if (status !== 200 || !r) { rankStatus("排行暂时无法显示，请稍后再试。"); return; }
      for (var i = 0; i < r.items.length; i++) {
        var it = r.items[i], li = d.createElement("li"), a = d.createElement("a"), n = d.createElement("span");
        a.href = it.path;
        a.textContent = it.title;
        n.className = "rank-views";
        n.textContent = "阅读 " + count(it.views);
        li.appendChild(a);
        li.appendChild(d.createTextNode(" "));
        li.appendChild(n);
        list.appendChild(li);
      }
      rankStatus(r.items.length ? "" : "这段时间还没有阅读记录。");
    });
  }
  if (ranking) {
    ranking.hidden = false;
    var tabs = ranking.querySelectorAll("button[data-period]");
    for (var i = 0; i < tabs.length; i++) {
      tabs[i].addEventListener("click", function () { loadRanking(this.getAttribute("data-period")); });
    }
  }
})();
