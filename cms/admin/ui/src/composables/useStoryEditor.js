import { ref, reactive, computed } from 'vue'
import { stories as storiesApi } from '@/api/index.js'
import { EDITABLE, emptyForm, formFromStory, cloneForm, changedFields, patchBody, createBody, sameValue, picturesCopied } from '@/lib/storyForm.js'
import { loadBackup, saveBackup, dropBackup } from '@/lib/backup.js'
import { useFieldErrors } from './useFieldErrors.js'

// useStoryEditor keeps a story's working copy: the last server copy, the
// user's form, what is unsaved, and the save/conflict logic. A save sends
// only the changed fields with the version they were based on; a stale
// version comes back as a conflict carrying the other person's copy, and
// the user's own text stays in the form (and in a local backup) until they
// choose what to keep.
export function useStoryEditor() {
  const story = ref(null)
  const form = reactive(emptyForm())
  const baseline = ref(emptyForm())
  // Bumped whenever form.body is replaced from outside the rich-text editor,
  // which then rebuilds itself from form.body.
  const editorKey = ref(0)
  const state = reactive({
    saving: false,
    savedAt: null,
    error: '',
    conflict: null, // { current, message } after a 409 on save
    baseVersion: null, // version a restored backup was based on
    backup: null, // an unsaved local copy found on load
    discarded: null, // the user's form, kept after they took the other version
  })
  const { errors, fromError, clear } = useFieldErrors()
  const dirtyKeys = computed(() => changedFields(form, baseline.value))
  const dirty = computed(() => dirtyKeys.value.length > 0)
  const id = () => story.value?.id || null

  function setForm(f) {
    Object.assign(form, cloneForm(f))
    editorKey.value++
  }

  function adopt(s) {
    story.value = s
    baseline.value = formFromStory(s)
    setForm(baseline.value)
    state.baseVersion = null
  }

  async function load(storyId) {
    const s = await storiesApi.get(storyId)
    adopt(s)
    const b = loadBackup(s.id)
    state.backup = b && changedFields(b.form, baseline.value).some((k) => k !== 'body' || textOf(b.form.body) !== textOf(s.body)) ? b : null
    if (b && !state.backup) dropBackup(s.id)
    return s
  }

  function startNew(defaults = {}) {
    story.value = null
    baseline.value = emptyForm()
    setForm({ ...emptyForm(), ...defaults })
    baseline.value = { ...cloneForm(form) }
    const b = loadBackup(null)
    state.backup = b && changedFields(b.form, baseline.value).length ? b : null
  }

  // bodyNormalized receives the editor's own HTML for the body it was built
  // from; if that body was the server's, the editor's HTML is "unchanged".
  function bodyNormalized(html) {
    if (form.body === baseline.value.body) baseline.value.body = html
    form.body = html
  }

  let inflight = null
  function save(opts = {}) {
    if (inflight) return inflight.then(() => (dirty.value ? save(opts) : story.value))
    if (state.conflict) return Promise.resolve(false)
    inflight = doSave(!!opts.auto).finally(() => { inflight = null })
    return inflight
  }

  async function doSave(auto) {
    const creating = !story.value
    if (creating && auto && (!form.title.trim() || !form.project_id)) return false
    const keys = creating ? EDITABLE : dirtyKeys.value
    if (!creating && keys.length === 0) return story.value
    const sent = cloneForm(form)
    state.saving = true
    try {
      const s = creating
        ? await storiesApi.create(createBody(sent))
        : await storiesApi.update(story.value.id, patchBody(sent, keys, state.baseVersion ?? story.value.version))
      afterSave(sent, keys, s, creating)
      return s
    } catch (err) {
      failed(err, auto)
      return false
    } finally {
      state.saving = false
    }
  }

  function afterSave(sent, keys, s, created) {
    story.value = s
    state.baseVersion = null
    state.savedAt = new Date()
    state.error = ''
    clear()
    const next = formFromStory(s)
    const base = cloneForm(baseline.value)
    for (const k of EDITABLE) {
      if (k === 'body') {
        if (!keys.includes('body')) continue
        base.body = sent.body
        // Pasted WeChat pictures now live in the media library: show the
        // copies, unless the user has typed since this save began.
        if (form.body === sent.body && picturesCopied(sent.body, next.body)) {
          base.body = next.body
          form.body = next.body
          editorKey.value++
        }
        continue
      }
      base[k] = next[k]
      // Take what the server normalised (trimmed text, a derived slug)
      // unless the user has typed something new since.
      if (sameValue(form[k], sent[k]) && !sameValue(next[k], sent[k])) form[k] = next[k]
    }
    baseline.value = base
    dropBackup(created ? null : s.id)
    if (!dirty.value) dropBackup(s.id)
  }

  function failed(err, auto) {
    if (err.status === 409 && err.current && err.current.version) {
      state.conflict = { current: err.current, message: err.message }
      state.error = err.message
      return
    }
    fromError(err)
    state.error = err.message
    if (!auto) throw err
  }

  // takeTheirs loads the other version into the editor; the user's own
  // form is kept so it can be brought back.
  function takeTheirs() {
    const c = state.conflict
    if (!c) return
    state.discarded = { form: cloneForm(form), at: new Date(), reason: 'conflict' }
    saveBackup(c.current.id, c.current.version, state.discarded.form)
    state.conflict = null
    state.error = ''
    adopt(c.current)
  }

  // merge saves on top of the current version, taking each field from the
  // user's copy or the other one as chosen ({ field: 'mine' | 'theirs' }).
  function merge(choice) {
    const c = state.conflict
    if (!c) return Promise.resolve(false)
    const theirs = formFromStory(c.current)
    const merged = cloneForm(form)
    for (const k of EDITABLE) if (choice[k] === 'theirs') merged[k] = theirs[k]
    story.value = c.current
    baseline.value = theirs
    state.baseVersion = null
    state.conflict = null
    state.error = ''
    Object.assign(form, merged)
    if (choice.body === 'theirs') editorKey.value++
    return save()
  }

  // loadRevision puts an old version's content into the editor; saving it
  // makes it the newest version. The text being replaced can be brought back.
  function loadRevision(rev) {
    state.discarded = { form: cloneForm(form), at: new Date(), reason: 'revision' }
    const f = formFromStory(rev)
    setForm({ ...cloneForm(form), ...Object.fromEntries(REVISION_FIELDS.map((k) => [k, f[k]])) })
  }

  function restoreDiscarded() {
    if (!state.discarded) return
    setForm(state.discarded.form)
    state.discarded = null
  }

  function restoreBackup() {
    const b = state.backup
    if (!b) return
    setForm({ ...emptyForm(), ...b.form })
    if (story.value) state.baseVersion = b.version
    state.backup = null
  }

  function discardBackup() {
    dropBackup(id())
    state.backup = null
  }

  function backupNow() {
    if (dirty.value) saveBackup(id(), state.baseVersion ?? story.value?.version ?? 0, cloneForm(form))
  }

  // act saves pending edits first: an action applies to the saved version.
  async function act(action, comment) {
    if (!story.value || dirty.value) {
      const ok = await save()
      if (!ok) return null
    }
    const s = await storiesApi.act(story.value.id, action, comment)
    story.value = { ...story.value, ...s }
    return s
  }

  return {
    story, form, baseline, editorKey, state, errors, dirty, dirtyKeys,
    load, startNew, bodyNormalized, save, takeTheirs, merge, restoreDiscarded, loadRevision,
    restoreBackup, discardBackup, backupNow, act,
  }
}

// Fields a revision carries (the schedule is not part of a revision).
const REVISION_FIELDS = ['title', 'share_title', 'summary', 'body', 'slug', 'cover_media_id', 'project_id', 'tags', 'author', 'source']

function textOf(html) {
  return (html || '').replace(/<[^>]*>/g, '').replace(/\s+/g, '')
}
