import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dropHandlers } from '../src/lib/pasteClean.js'

test('event handlers and javascript: URLs are dropped, the rest kept', () => {
  const cases = [
    ['<p style="line-height:2em" onclick="window.x = true">文字</p>', '<p style="line-height:2em">文字</p>'],
    [`<img src=a.jpg ONERROR='alert(1)' alt="图">`, '<img src=a.jpg alt="图">'],
    ['<a href="javascript:alert(1)" title="a > b">链接</a>', '<a title="a > b">链接</a>'],
    ['<a href=" java\tscript:alert(1)">x</a>', '<a>x</a>'],
    ['<a href="&#106;avascript&colon;alert(1)">x</a>', '<a>x</a>'],
    ['<a href="https://mzj.example.gov.cn/javascript:">x</a>', '<a href="https://mzj.example.gov.cn/javascript:">x</a>'],
    ['<svg><circle onload=alert(1) /></svg>', '<svg><circle /></svg>'],
    ['<p>onclick="这是正文" 不是属性</p>', '<p>onclick="这是正文" 不是属性</p>'],
    ['<br/><input disabled onfocus=x>', '<br /><input disabled>'],
  ]
  for (const [input, want] of cases) {
    assert.equal(dropHandlers(input), want, input)
  }
})
