// Figure is a TipTap node for an image from the media library with its
// caption: <figure data-media-id><img src alt data-media-id><figcaption>.
// The server's sanitiser keeps exactly these elements and attributes.
import { Node } from '@tiptap/core'

const img = (el) => el.querySelector('img')

export const Figure = Node.create({
  name: 'figure',
  group: 'block',
  content: 'inline*',
  draggable: true,
  isolating: true,

  addAttributes() {
    return {
      src: { default: null, rendered: false, parseHTML: (el) => img(el)?.getAttribute('src') || null },
      alt: { default: '', rendered: false, parseHTML: (el) => img(el)?.getAttribute('alt') || '' },
      mediaId: {
        default: null,
        rendered: false,
        parseHTML: (el) => el.getAttribute('data-media-id') || img(el)?.getAttribute('data-media-id') || null,
      },
    }
  },

  parseHTML() {
    return [{
      tag: 'figure',
      // A figure without a caption still parses; its caption starts empty.
      contentElement: (el) => el.querySelector('figcaption') || document.createElement('figcaption'),
    }]
  },

  renderHTML({ node }) {
    const { src, alt, mediaId } = node.attrs
    const ids = mediaId ? { 'data-media-id': String(mediaId) } : {}
    return ['figure', { ...ids }, ['img', { src, alt: alt || '', ...ids }], ['figcaption', 0]]
  },

  addCommands() {
    return {
      insertFigure: ({ src, alt, mediaId, caption }) => ({ commands }) => commands.insertContent({
        type: this.name,
        attrs: { src, alt, mediaId },
        content: caption ? [{ type: 'text', text: caption }] : [],
      }),
    }
  },
})
