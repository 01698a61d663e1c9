// The 公众号 draft endpoints (cms/web/wechat_draft.go): a story's draft
// state, sending it, and the converted article for the preview.
import { get, post } from './client.js'

export const wechat = {
  state: (id) => get(`/stories/${id}/wechat-draft`),
  send: (id) => post(`/stories/${id}/wechat-draft`),
  preview: (id) => get(`/stories/${id}/wechat-draft/preview`),
}
