import { onBeforeUnmount } from 'vue'

// usePoll calls fn now and then every delay(ms) while the page is visible,
// until stop() or unmount. delay may be a function of fn's last result so
// callers can poll fast while something is running and slowly otherwise;
// returning 0 stops.
export function usePoll(fn, delay) {
  let timer = null
  let stopped = true

  async function tick() {
    timer = null
    if (stopped) return
    let result
    try {
      result = await fn()
    } catch {
      result = undefined
    }
    if (stopped) return
    const ms = typeof delay === 'function' ? delay(result) : delay
    if (!ms) {
      stopped = true
      return
    }
    timer = setTimeout(tick, document.hidden ? Math.max(ms, 15000) : ms)
  }

  function start() {
    if (!stopped) return
    stopped = false
    tick()
  }

  function stop() {
    stopped = true
    if (timer) clearTimeout(timer)
    timer = null
  }

  onBeforeUnmount(stop)
  return { start, stop }
}
