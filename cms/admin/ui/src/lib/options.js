// Fixed choices of the domain (cms/project.go, cms/user.go). Labels come
// from the locale files under kinds.*, areas.*, roles.*, stages.*.
export const KINDS = ['window', 'volunteer', 'benefit']
export const AREAS = ['marriage', 'funeral', 'elderly', 'veterans', 'assistance', 'disability', 'children', 'volunteering', 'social_org', 'community']
export const ROLES = ['editor', 'reviewer', 'admin']
export const LEVELS = [1, 2, 3]
