// WeChat share cards through the JS-SDK. head.html loads this file only
// when the admin configured a WeChat app id AND the browser is WeChat's
// (user agent contains MicroMessenger). Only then does the page talk to a
// second origin: WeChat's own res.wx.qq.com, the one place Tencent serves
// the JS-SDK from, and which the reader's WeChat client already trusts.
// Everywhere else, and when the server has no keys (the signature endpoint
// answers 404), nothing beyond this site is requested.
(function () {
  "use strict";
  if (!/MicroMessenger/i.test(navigator.userAgent)) return;
  var SDK = "https://res.wx.qq.com/open/js/jweixin-1.6.0.js";

  function meta(sel) {
    var el = document.querySelector(sel);
    return el ? el.getAttribute("content") || el.getAttribute("href") || "" : "";
  }
  var page = location.href.split("#")[0];
  var xhr = new XMLHttpRequest();
  xhr.open("GET", "/api/v1/content/wechat/signature?url=" + encodeURIComponent(page));
  xhr.onload = function () {
    if (xhr.status !== 200) return;
    var sig;
    try { sig = JSON.parse(xhr.responseText); } catch (e) { return; }
    var s = document.createElement("script");
    s.src = SDK;
    s.async = true;
    s.onload = function () { configure(sig); };
    document.head.appendChild(s);
  };
  xhr.send();

  function configure(sig) {
    var wx = window.wx;
    if (!wx) return;
    wx.config({
      debug: false,
      appId: sig.app_id,
      timestamp: sig.timestamp,
      nonceStr: sig.nonce_str,
      signature: sig.signature,
      jsApiList: ["updateAppMessageShareData", "updateTimelineShareData"]
    });
    wx.ready(function () {
      var card = {
        title: document.title,
        desc: meta('meta[name="description"]'),
        link: meta('link[rel="canonical"]') || page,
        imgUrl: meta('meta[property="og:image"]')
      };
      wx.updateAppMessageShareData(card);
      wx.updateTimelineShareData({ title: card.title, link: card.link, imgUrl: card.imgUrl });
    });
  }
})();
