package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

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
	now := s.cfg.LoginClock()
	// The limits are recorded whatever the client does meanwhile: hanging
	// up must not spare it a failure.
	ctx := context.WithoutCancel(c.Request.Context())
	client, name := c.ClientIP(), loginName(req.Username)
	ok, wait := s.limiter.allow("ip:"+client, now)
	var failedBefore bool
	if ok {
		var err error
		if wait, failedBefore, err = s.limiter.check(ctx, client, name, now); err != nil {
			return err
		}
		ok = wait == 0
	}
	if !ok {
		return tooMany(c, wait, "登录尝试过于频繁")
	}
	token, u, err := s.cfg.Users.Login(ctx, name, req.Password, s.cfg.TokenTTL)
	if cms.ErrorCode(err) == cms.EUNAUTHORIZED {
		throttled, ferr := s.limiter.failed(ctx, client, name, now)
		if ferr != nil {
			s.log.Error("recording a login failure", "username", name, "client", client, "err", ferr)
		}
		if throttled {
			s.log.Warn("login throttled after repeated failures", "username", name, "client", client)
			s.recordAudit(ctx, &cms.AuditEvent{ActorName: "system", Action: "user.login_throttle", Object: "login:" + name,
				Detail: "多次登录失败，已限制曾失败的来源继续尝试（最近一次来自 " + client + "）"})
		}
	}
	if err != nil {
		return err
	}
	// A client without failures costs no write.
	if failedBefore {
		if err := s.limiter.succeeded(ctx, client, name); err != nil {
			s.log.Error("clearing login failures", "username", name, "client", client, "err", err)
		}
	}
	c.JSON(http.StatusOK, loginResponse{Token: token, ExpiresAt: now.Add(s.cfg.TokenTTL).UTC(), User: userJSON(u)})
	return nil
}

// handleUserUnlock lifts the login limits of a user, for every client and
// on every replica.
func (s *Server) handleUserUnlock(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	u, err := s.cfg.Users.FindUserByID(ctx, id)
	if err != nil {
		return err
	}
	found, err := s.limiter.unlock(ctx, loginName(u.Username))
	if err != nil {
		return err
	}
	if found {
		actor := currentUser(c)
		s.recordAudit(ctx, &cms.AuditEvent{ActorID: actor.ID, ActorName: actor.Name, Action: "user.login_unlock",
			Object: "user:" + strconv.FormatInt(u.ID, 10), Detail: "解除登录限制：" + u.Username})
	}
	c.Status(http.StatusNoContent)
	return nil
}

// auditRecorder is implemented by audit services that take events from
// outside the stores, such as login throttling, which changes no record.
type auditRecorder interface {
	RecordAuditEvent(ctx context.Context, e *cms.AuditEvent) error
}

// recordAudit records e when the audit service can; failing to is logged.
func (s *Server) recordAudit(ctx context.Context, e *cms.AuditEvent) {
	r, ok := s.cfg.Audit.(auditRecorder)
	if !ok {
		return
	}
	if err := r.RecordAuditEvent(context.WithoutCancel(ctx), e); err != nil {
		s.log.Error("recording an audit event", "action", e.Action, "err", err)
	}
}

func retryAfter(d time.Duration) string {
	secs := int(d.Seconds() + 0.999)
	if secs < 1 {
		secs = 1
	}
	return strconv.Itoa(secs)
}

func (s *Server) handleLogout(c *gin.Context) error {
	return noContent(c, s.cfg.Users.Logout(c.Request.Context(), bearer(c)))
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
		if u := currentUser(c); u != nil && slices.Contains(roles, u.Role) {
			c.Next()
			return
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
