package web

import (
	"context"
	"crypto/sha256"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/huimin/huimin/cms"
)

// Content API reads are rate-limited: with an API key (X-API-Key) per key,
// at the key's own rate; without one per client address. Both are token
// buckets kept in memory, so limiting costs no database query.

// headerAPIKey carries an integrator's key.
const headerAPIKey = "X-Api-Key"

// ipLimiter holds one token bucket per client address.
type ipLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newIPLimiter(perSecond float64, burst int) *ipLimiter {
	if perSecond <= 0 {
		return nil
	}
	if burst < 1 {
		burst = max(1, int(4*perSecond))
	}
	return &ipLimiter{limit: rate.Limit(perSecond), burst: burst, buckets: map[string]*bucket{}}
}

// allow reports whether a request from ip may go ahead, and if not, how
// long the client should wait. A nil limiter limits nobody, and loopback
// clients are never limited (isLoopback says why).
func (l *ipLimiter) allow(ip string, now time.Time) (bool, time.Duration) {
	if l == nil || isLoopback(ip) {
		return true, 0
	}
	return l.take(ip, now)
}

// take takes a token from key's bucket, or says how long until there is one.
func (l *ipLimiter) take(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	if len(l.buckets) > 50000 && now.Sub(l.swept) > time.Minute {
		// Buckets idle long enough to have refilled carry no state.
		full := time.Duration(float64(l.burst)/float64(l.limit)*float64(time.Second)) + time.Minute
		for k, b := range l.buckets {
			if now.Sub(b.seen) > full {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	l.mu.Unlock()
	return reserve(b.lim, now)
}

func reserve(lim *rate.Limiter, now time.Time) (bool, time.Duration) {
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// apiKeyBurst lets a key spend a tenth of its minute at once (at least 10
// requests, at most its whole minute).
func apiKeyBurst(perMinute int) int { return min(perMinute, max(10, perMinute/10)) }

// keyCache remembers what a key secret authenticated as, so a keyed read
// needs no database query either. Entries live for ttl: a key revoked
// through this process stops working at once (forget), one revoked through
// another process within ttl.
type keyCache struct {
	src cms.APIKeyService
	ttl time.Duration

	mu       sync.Mutex
	entries  map[[32]byte]*keyEntry
	limiters map[int64]*rate.Limiter // by key id, surviving entry refreshes
}

type keyEntry struct {
	key     *cms.APIKey
	err     error // an unknown or revoked key is remembered too
	expires time.Time
}

func newKeyCache(src cms.APIKeyService, ttl time.Duration) *keyCache {
	return &keyCache{src: src, ttl: ttl, entries: map[[32]byte]*keyEntry{}, limiters: map[int64]*rate.Limiter{}}
}

// lookup returns the key for secret and its limiter; EUNAUTHORIZED for an
// unknown or revoked key.
func (k *keyCache) lookup(ctx context.Context, secret string, now time.Time) (*cms.APIKey, *rate.Limiter, error) {
	// A key belongs to one site: it is remembered per site, so a key
	// looked up in its own site is never accepted in another.
	h := sha256.Sum256([]byte(strconv.FormatInt(cms.SiteIDFromContext(ctx), 10) + "\x00" + secret))
	k.mu.Lock()
	e, ok := k.entries[h]
	k.mu.Unlock()
	if !ok || now.After(e.expires) {
		key, err := k.src.AuthenticateAPIKey(ctx, secret)
		if err != nil && cms.ErrorCode(err) != cms.EUNAUTHORIZED {
			return nil, nil, err // a database failure is not remembered
		}
		e = &keyEntry{key: key, err: err, expires: now.Add(k.ttl)}
		k.mu.Lock()
		if len(k.entries) > 10000 {
			clear(k.entries) // random secrets must not grow the map without end
		}
		k.entries[h] = e
		k.mu.Unlock()
	}
	if e.err != nil {
		return nil, nil, e.err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	lim := k.limiters[e.key.ID]
	perSecond := rate.Limit(float64(e.key.RateLimit) / 60)
	if lim == nil {
		lim = rate.NewLimiter(perSecond, apiKeyBurst(e.key.RateLimit))
		k.limiters[e.key.ID] = lim
	} else if lim.Limit() != perSecond {
		lim.SetLimitAt(now, perSecond)
		lim.SetBurstAt(now, apiKeyBurst(e.key.RateLimit))
	}
	return e.key, lim, nil
}

// forget drops what is cached about key id, after it was revoked.
func (k *keyCache) forget(id int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for h, e := range k.entries {
		if e.key != nil && e.key.ID == id {
			delete(k.entries, h)
		}
	}
	delete(k.limiters, id)
}

// limitContent applies the rate limits to a content read.
func (s *Server) limitContent(c *gin.Context) {
	now := time.Now()
	if secret := c.Request.Header.Get(headerAPIKey); secret != "" {
		if s.keys == nil {
			s.writeError(c, cms.Errorf(cms.EUNAUTHORIZED, "接口密钥无效或已停用"))
			return
		}
		key, lim, err := s.keys.lookup(c.Request.Context(), secret, now)
		if err != nil {
			var ce *cms.Error
			if errors.As(err, &ce) && ce.Code == cms.EUNAUTHORIZED {
				c.Header("WWW-Authenticate", `APIKey realm="huimin"`)
			}
			s.writeError(c, err)
			return
		}
		if ok, wait := reserve(lim, now); !ok {
			s.writeError(c, tooMany(c, wait, "接口密钥“"+key.Name+"”的请求过于频繁"))
			return
		}
		c.Next()
		return
	}
	if s.anon != nil { // no limit by default: the client's address is not worked out
		if ok, wait := s.anon.allow(c.ClientIP(), now); !ok {
			s.writeError(c, tooMany(c, wait, "请求过于频繁"))
			return
		}
	}
	c.Next()
}

// isLoopback reports whether ip is this machine. Such clients are not
// limited per address: they are the operator's own tools, or a reverse
// proxy not declared in TrustedProxies, behind which every reader would
// otherwise share one bucket. Declare the proxy and readers are limited
// by their own addresses (X-Forwarded-For).
func isLoopback(ip string) bool {
	if strings.HasPrefix(ip, "127.") || ip == "::1" {
		return true
	}
	a := net.ParseIP(ip)
	return a != nil && a.IsLoopback()
}

// tooMany sets Retry-After and returns the 429 saying what was too
// frequent and how long to wait.
func tooMany(c *gin.Context, wait time.Duration, what string) error {
	c.Header("Retry-After", retryAfter(wait))
	return cms.Errorf(cms.ERATELIMIT, "%s，请 %s 秒后再试", what, retryAfter(wait))
}
