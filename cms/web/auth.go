package web

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/huimin/huimin/cms"
)

// loginLimiter slows down password guessing per client address and per
// username: a burst of attempts, then one every few seconds.
type loginLimiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLoginLimiter() *loginLimiter { return &loginLimiter{buckets: map[string]*bucket{}} }

// allow reports whether an attempt for key may go ahead, and if not, how
// long the client should wait.
func (l *loginLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buckets) > 10000 {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(rate.Every(6*time.Second), 10)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (r *loginRequest) Valid() map[string]string {
	f := map[string]string{}
	if strings.TrimSpace(r.Username) == "" {
		f["username"] = "请输入用户名"
	}
	if r.Password == "" {
		f["password"] = "请输入密码"
	}
	return f
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      *cms.User `json:"user"`
}

func (s *Server) handleLogin(c *gin.Context) error {
	var req loginRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	now := time.Now()
	for _, key := range []string{"ip:" + c.ClientIP(), "user:" + strings.ToLower(req.Username)} {
		if ok, wait := s.limiter.allow(key, now); !ok {
			c.Header("Retry-After", retryAfter(wait))
			return cms.Errorf(cms.ERATELIMIT, "登录尝试过于频繁，请 %s 秒后再试", retryAfter(wait))
		}
	}
	token, u, err := s.cfg.Users.Login(c.Request.Context(), req.Username, req.Password, s.cfg.TokenTTL)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, loginResponse{Token: token, ExpiresAt: now.Add(s.cfg.TokenTTL).UTC(), User: u})
	return nil
}

func retryAfter(d time.Duration) string {
	secs := int(d.Seconds() + 0.999)
	if secs < 1 {
		secs = 1
	}
	return strconv.Itoa(secs)
}

func (s *Server) handleLogout(c *gin.Context) error {
	if err := s.cfg.Users.Logout(c.Request.Context(), bearer(c)); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) handleMe(c *gin.Context) error {
	c.JSON(http.StatusOK, currentUser(c))
	return nil
}

func bearer(c *gin.Context) string {
	h := c.GetHeader("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// authenticate requires a live bearer token and puts its user into the
// request context, where the stores read it for authorisation and audit.
func (s *Server) authenticate(c *gin.Context) {
	token := bearer(c)
	if token == "" {
		c.Header("WWW-Authenticate", `Bearer realm="huimin"`)
		s.writeError(c, cms.Errorf(cms.EUNAUTHORIZED, "请先登录"))
		return
	}
	u, err := s.cfg.Users.Authenticate(c.Request.Context(), token)
	if err != nil {
		c.Header("WWW-Authenticate", `Bearer realm="huimin", error="invalid_token"`)
		s.writeError(c, err)
		return
	}
	c.Request = c.Request.WithContext(cms.NewContextWithUser(c.Request.Context(), u))
	c.Next()
}

// requireRole lets only users with one of roles through.
func (s *Server) requireRole(roles ...cms.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := currentUser(c)
		for _, r := range roles {
			if u != nil && u.Role == r {
				c.Next()
				return
			}
		}
		s.writeError(c, cms.Errorf(cms.EFORBIDDEN, "没有权限：此操作仅限%s", roleNames(roles)))
	}
}

func roleNames(roles []cms.Role) string {
	names := map[cms.Role]string{cms.RoleAdmin: "管理员", cms.RoleEditor: "编辑", cms.RoleReviewer: "审核人员"}
	var out []string
	for _, r := range roles {
		out = append(out, names[r])
	}
	return strings.Join(out, "、")
}

func currentUser(c *gin.Context) *cms.User { return cms.UserFromContext(c.Request.Context()) }
