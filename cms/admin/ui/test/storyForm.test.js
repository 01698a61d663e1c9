import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formFromStory, changedFields, patchBody, createBody, EDITABLE } from '../src/lib/storyForm.js'

const server = { id: 7, title: '标题', share_title: '', summary: '', body: '<p>a</p>', slug: 'story-7', cover_media_id: null, project_id: 3, tags: ['颁证'], author: '王', source: '', status: 'draft', version: 4, url: '/stories/story-7/', publish_at: null, unpublish_at: null }

test('only fields of cms.StoryUpdate are editable', () => {
  assert.deepEqual([...EDITABLE].sort(), ['author', 'body', 'cover_media_id', 'project_id', 'publish_at', 'share_title', 'slug', 'source', 'summary', 'tags', 'title', 'unpublish_at'])
})

test('a PATCH carries the version and only what changed', () => {
  const base = formFromStory(server)
  const form = { ...formFromStory(server), title: '新标题', tags: ['颁证', '七夕'] }
  const keys = changedFields(form, base)
  assert.deepEqual(keys, ['title', 'tags'])
  assert.deepEqual(patchBody(form, keys, 4), { version: 4, title: '新标题', tags: ['颁证', '七夕'] })
})

test('clearing the cover sends 0; an unset schedule is not sent', () => {
  const base = formFromStory({ ...server, cover_media_id: 9, publish_at: '2025-01-01T00:00:00Z' })
  const form = { ...base, tags: [...base.tags], cover_media_id: null, publish_at: null }
  const keys = changedFields(form, base)
  assert.deepEqual(patchBody(form, keys, 4), { version: 4, cover_media_id: 0 })
})

test('empty and missing values compare equal', () => {
  assert.deepEqual(changedFields({ ...formFromStory(server), source: undefined }, formFromStory(server)), [])
})

test('a new story is created with the fields that are set', () => {
  const body = createBody({ ...formFromStory(null), title: 'T', project_id: 3, body: '<p>x</p>' })
  assert.deepEqual(body, { title: 'T', project_id: 3, body: '<p>x</p>', tags: [] })
})

test('pictures pasted from elsewhere are noticed once the server has copied them', async () => {
  const { pastedPictures, picturesCopied } = await import('../src/lib/storyForm.js')
  const wx = 'https://mmbiz.qpic.cn/mmbiz_jpg/abc/640?wx_fmt=jpeg&amp;from=appmsg'
  const sent = `<p><img src="${wx}" alt="合影"></p><p><img src="data:image/png;base64,iVBOR" alt="海报"></p><p><img src="/media/ab/w960.jpg" alt="本站"></p>`
  assert.deepEqual(pastedPictures(sent), ['https://mmbiz.qpic.cn/mmbiz_jpg/abc/640?wx_fmt=jpeg&from=appmsg', 'data:image/png;base64,iVBOR'])
  assert.equal(picturesCopied(sent, sent), false, 'nothing copied: keep the editor as it is')
  assert.equal(picturesCopied(sent, '<p><img src="/media/cd/w960.jpg" data-media-id="4" alt="合影"></p>'), true)
  assert.equal(picturesCopied('<p>没有图片</p>', '<p>没有图片</p>'), false)
})
