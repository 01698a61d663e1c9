// staleSite tells from the newest build records whether the public site is
// older than the newest publish: a build failed after the last one that
// succeeded. It returns { failed, live } (live is null when no build in
// the list succeeded) or null when the site is up to date.
export function staleSite(builds) {
  const newest = [...(builds || [])].sort((a, b) => b.id - a.id)
  const failed = newest.find((b) => b.status === 'failed')
  if (!failed) return null
  const live = newest.find((b) => b.status === 'succeeded') || null
  if (live && live.id > failed.id) return null
  return { failed, live }
}
