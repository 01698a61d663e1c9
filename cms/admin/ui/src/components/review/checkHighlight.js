// CheckHighlight marks the wording-check hits of the body inside the
// editor. It uses ProseMirror decorations, not marks: they are drawn over
// the text but are not part of the document, so nothing of them is ever
// saved into the HTML. A highlight follows its text through edits and goes
// away once that text no longer reads as the term (after "替换为建议" or a
// manual fix).
import { Extension } from '@tiptap/core'
import { Plugin, PluginKey, TextSelection } from '@tiptap/pm/state'
import { Decoration, DecorationSet } from '@tiptap/pm/view'
import { docText, locateInDoc } from '@/lib/checks.js'

export const checkKey = new PluginKey('checkHighlight')

function fold(s) {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase())
}

// build decorates the k-th occurrence of each hit's term in doc.
// hits: [{ id, term, k, severity, title }]
function build(doc, hits) {
  if (!hits || hits.length === 0) return DecorationSet.empty
  const dt = docText(doc)
  const decos = []
  for (const h of hits) {
    const r = locateInDoc(doc, h.term, h.k, dt)
    if (!r) continue
    decos.push(Decoration.inline(r.from, r.to, {
      class: `check-mark check-mark--${h.severity || 'info'}`,
      title: h.title || '',
      'data-check-id': h.id,
      'data-test': 'check-mark',
    }, { id: h.id, term: h.term }))
  }
  return DecorationSet.create(doc, decos)
}

export const CheckHighlight = Extension.create({
  name: 'checkHighlight',

  addProseMirrorPlugins() {
    return [
      new Plugin({
        key: checkKey,
        state: {
          init: () => DecorationSet.empty,
          apply(tr, set) {
            const meta = tr.getMeta(checkKey)
            if (meta) return build(tr.doc, meta.hits)
            if (!tr.docChanged) return set
            set = set.map(tr.mapping, tr.doc)
            const stale = set.find(undefined, undefined, () => true)
              .filter((d) => fold(tr.doc.textBetween(d.from, d.to, '\n')) !== fold(d.spec.term))
            return stale.length ? set.remove(stale) : set
          },
        },
        props: {
          decorations: (state) => checkKey.getState(state),
        },
      }),
    ]
  },
})

// setCheckHits shows hits in the editor (not added to the undo history).
export function setCheckHits(editor, hits) {
  if (!editor || editor.isDestroyed) return
  const tr = editor.state.tr.setMeta(checkKey, { hits }).setMeta('addToHistory', false)
  editor.view.dispatch(tr)
}

// checkRange returns where the hit with id is highlighted now, or null.
export function checkRange(editor, id) {
  if (!editor || editor.isDestroyed) return null
  const set = checkKey.getState(editor.state)
  const d = set && set.find(undefined, undefined, (spec) => spec.id === id)[0]
  return d ? { from: d.from, to: d.to } : null
}

// checkIds returns the ids of the hits highlighted now.
export function checkIds(editor) {
  if (!editor || editor.isDestroyed) return []
  const set = checkKey.getState(editor.state)
  return set ? set.find(undefined, undefined, () => true).map((d) => d.spec.id) : []
}

// revealRange selects [from, to) and scrolls it to the middle of the window.
export function revealRange(editor, from, to, focus = true) {
  const { view } = editor
  const tr = editor.state.tr.setSelection(TextSelection.create(editor.state.doc, from, to))
  view.dispatch(tr.scrollIntoView())
  if (focus) view.focus()
  const { node } = view.domAtPos(from)
  const el = node.nodeType === 1 ? node : node.parentElement
  el?.scrollIntoView?.({ block: 'center' })
}

// revealImage selects the n-th picture of the body (from 1, as the
// server's "body.img[n]") and scrolls to it; false if there is none.
export function revealImage(editor, n) {
  if (!editor || editor.isDestroyed || n < 1) return false
  let found = -1
  let seen = 0
  editor.state.doc.descendants((node, pos) => {
    if (found >= 0) return false
    if (node.type.name === 'image' || node.type.name === 'figure') {
      seen++
      if (seen === n) found = pos
    }
    return true
  })
  if (found < 0) return false
  editor.chain().focus().setNodeSelection(found).scrollIntoView().run()
  const el = editor.view.nodeDOM(found)
  el?.scrollIntoView?.({ block: 'center' })
  return true
}
