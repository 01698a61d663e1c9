import { test } from 'node:test'
import assert from 'node:assert/strict'
import { wordLists } from '../src/lib/wordPaste.js'

// Clipboard HTML as Word 2016+ on Windows writes it (CF_HTML fragment),
// numbered list with a nested bulleted level and a Symbol-font bullet.
const WORD_NUMBERED = `<html xmlns:o="urn:schemas-microsoft-com:office:office"><body lang=ZH-CN style='tab-interval:21.0pt'>
<!--StartFragment--><p class=MsoNormal><span style='font-family:仿宋'>活动安排如下：</span><o:p></o:p></p>
<p class=MsoListParagraphCxSpFirst style='margin-left:18.0pt;mso-add-space:auto;text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]><span lang=EN-US style='mso-bidi-font-family:等线'><span style='mso-list:Ignore'>1.<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp; </span></span></span><![endif]><span style='font-family:仿宋'>上门测量血压</span><span lang=EN-US><o:p></o:p></span></p>
<p class=MsoListParagraphCxSpMiddle style='margin-left:39.0pt;mso-add-space:auto;text-indent:-18.0pt;mso-list:l0 level2 lfo1'><![if !supportLists]><span lang=EN-US style='font-family:Symbol'><span style='mso-list:Ignore'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp; </span></span></span><![endif]><span style='font-family:仿宋'>早上八点集合</span><o:p></o:p></p>
<p class=MsoListParagraphCxSpMiddle style='margin-left:39.0pt;mso-add-space:auto;text-indent:-18.0pt;mso-list:l0 level2 lfo1'><![if !supportLists]><span lang=EN-US style='font-family:Symbol'><span style='mso-list:Ignore'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp; </span></span></span><![endif]><span style='font-family:仿宋'>自带血压计</span><o:p></o:p></p>
<p class=MsoListParagraphCxSpLast style='margin-left:18.0pt;mso-add-space:auto;text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]><span lang=EN-US><span style='mso-list:Ignore'>2.<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp; </span></span></span><![endif]><span style='font-family:仿宋'>整理<b>房间</b>、更换灯泡</span><o:p></o:p></p>
<p class=MsoNormal>以上由社工统一安排。<o:p></o:p></p><!--EndFragment--></body></html>`

// As Chromium hands Word's clipboard to the page: conditionals as comments.
const WORD_BULLETS_CHROME = `<p class="MsoListParagraphCxSpFirst" style="margin-left:21pt;text-indent:-21pt;mso-list:l1 level1 lfo2"><!--[if !supportLists]--><span lang="EN-US" style="font-family:Wingdings"><span style="mso-list:Ignore">§<span style="font:7pt &quot;Times New Roman&quot;">&nbsp; </span></span></span><!--[endif]-->低保对象</p>
<p class="MsoListParagraphCxSpLast" style="margin-left:21pt;text-indent:-21pt;mso-list:l1 level1 lfo2"><!--[if !supportLists]--><span lang="EN-US" style="font-family:&quot;Courier New&quot;"><span style="mso-list:Ignore">o<span style="font:7pt &quot;Times New Roman&quot;">&nbsp;&nbsp; </span></span></span><!--[endif]-->特困人员</p>`

// Items that do not start at 1, and Chinese numbering.
const WORD_CONTINUED = `<p class=MsoListParagraph style='mso-list:l2 level1 lfo3'><span style='mso-list:Ignore'>3.<span>&nbsp;&nbsp;</span></span>第三项</p>
<p class=MsoListParagraph style='mso-list:l2 level1 lfo3'><span style='mso-list:Ignore'>4.<span>&nbsp;&nbsp;</span></span>第四项</p>
<p class=MsoNormal>中间的正文段落</p>
<p class=MsoListParagraph style='mso-list:l3 level1 lfo4'><span style='mso-list:Ignore'>一、<span>&nbsp;</span></span>总体要求</p>`

// What admin_browser_test.go pastes: the marker typed as text, the whole
// paragraph wrapped in a conditional comment.
const WORD_TEXT_MARKER = `<!--[if !supportLists]--><p class=MsoListParagraph style='margin-left:18pt;text-indent:-18pt;mso-list:l0 level1 lfo1'>1.&nbsp;为老人测量血压<o:p></o:p></p><!--[endif]-->
<!--[if !supportLists]--><p class=MsoListParagraph style='margin-left:18pt;text-indent:-18pt;mso-list:l0 level1 lfo1'>2.&nbsp;陪老人聊天<o:p></o:p></p><!--[endif]-->`

function squash(html) {
  return html.replace(/\s+</g, '<').replace(/>\s+/g, '>')
}

test('a numbered Word list with a nested bullet level becomes nested lists', () => {
  const out = wordLists(WORD_NUMBERED)
  const list = squash(out.slice(out.indexOf('<ol'), out.lastIndexOf('</ol>') + 5))
  assert.equal(list.replace(/<span[^>]*>|<\/span>/g, ''),
    '<ol><li><p>上门测量血压</p><ul><li><p>早上八点集合</p></li><li><p>自带血压计</p></li></ul></li><li><p>整理<b>房间</b>、更换灯泡</p></li></ol>')
  // No marker text, no Word conditionals, nothing lost around the list.
  assert.doesNotMatch(out, /mso-list:Ignore|supportLists|1\.<span|·/)
  assert.match(out, /活动安排如下：/)
  assert.match(out, /<p class=MsoNormal>以上由社工统一安排。/)
  assert.equal((out.match(/<li>/g) || []).length, 4)
})

test('Wingdings and Courier bullets as Chromium pastes them become one bulleted list', () => {
  const out = squash(wordLists(WORD_BULLETS_CHROME))
  assert.equal(out.replace(/<span[^>]*>|<\/span>/g, ''), '<ul><li><p>低保对象</p></li><li><p>特困人员</p></li></ul>')
})

test('a list that starts at 3 keeps its number; a paragraph between starts a new list', () => {
  const out = squash(wordLists(WORD_CONTINUED))
  assert.match(out, /^<ol start="3"><li><p>第三项<\/p><\/li><li><p>第四项<\/p><\/li><\/ol><p class=MsoNormal>中间的正文段落<\/p><ol><li><p>总体要求<\/p><\/li><\/ol>$/)
})

test('a marker typed as text inside a conditional comment is taken off too', () => {
  const out = squash(wordLists(WORD_TEXT_MARKER))
  assert.equal(out, '<ol><li><p>为老人测量血压</p></li><li><p>陪老人聊天</p></li></ol>')
})

test('HTML without Word lists comes back unchanged', () => {
  for (const html of ['', '<p>普通段落 1. 不是列表</p>', '<ol><li>已是列表</li></ol>', '<p class=MsoNormal style="margin:0">正文</p>']) {
    assert.equal(wordLists(html), html)
  }
  assert.equal(wordLists(null), null)
})

test('going back from a deep level closes every list opened on the way', () => {
  const p = (level, marker, text) => `<p style='mso-list:l0 level${level} lfo1'><span style='mso-list:Ignore'>${marker}<span>&nbsp;</span></span>${text}</p>`
  const out = wordLists(p(1, '1.', '甲') + p(2, 'a.', '乙') + p(3, '·', '丙') + p(1, '2.', '丁'))
  assert.equal(out, '<ol><li><p>甲</p><ol><li><p>乙</p><ul><li><p>丙</p></li></ul></li></ol></li><li><p>丁</p></li></ol>')
})
