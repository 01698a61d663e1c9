// Fixed choices of the domain (cms/project.go, cms/user.go). Labels come
// from the locale files under kinds.*, areas.*, roles.*, stages.*.
export const KINDS = ['window', 'volunteer', 'benefit']
export const AREAS = ['marriage', 'funeral', 'elderly', 'veterans', 'assistance', 'disability', 'children', 'volunteering', 'social_org', 'community']
export const ROLES = ['editor', 'reviewer', 'admin']
export const LEVELS = [1, 2, 3]
// Wording dictionary (cms/wording.go): why a term is flagged, and how bad a
// hit is. Labels and explanations under dictionary.kinds.*, kindHelp.*,
// severities.*, severityHelp.*.
export const TERM_KINDS = ['error', 'forbidden', 'sensitive', 'keep']
export const SEVERITIES = ['serious', 'warning', 'info']
// Element Plus tag types per severity.
export const SEVERITY_TAGS = { serious: 'danger', warning: 'warning', info: 'info' }

// filterTerms keeps the dictionary entries matching a free-text query (in
// the term, suggestion or note) and, when set, a kind and a severity.
export function filterTerms(items, { q = '', kind = '', severity = '' } = {}) {
  const needle = q.trim().toLowerCase()
  return items.filter((x) => (!kind || x.kind === kind) && (!severity || x.severity === severity) &&
    (!needle || [x.term, x.suggestion, x.note].some((s) => (s || '').toLowerCase().includes(needle))))
}
