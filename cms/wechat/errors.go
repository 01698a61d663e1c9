package wechat

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/huimin/huimin/cms"
)

// APIError is an errcode WeChat answered with. Neither it nor NetError
// ever holds the secret or the access token.
type APIError struct {
	Op   string // the endpoint: stable_token, uploadimg, add_material, draft/add, draft/update
	Code int
	Msg  string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wechat %s: errcode %d: %s", e.Op, e.Code, e.Msg)
}

// tokenRefused reports whether WeChat refused the access token itself.
func (e *APIError) tokenRefused() bool {
	return e.Code == 40001 || e.Code == 40014 || e.Code == 42001
}

// NetError is a failure to reach WeChat or to read its answer.
type NetError struct {
	Op  string
	Err error
}

func (e *NetError) Error() string { return fmt.Sprintf("wechat %s: %v", e.Op, e.Err) }
func (e *NetError) Unwrap() error { return e.Err }

// opNames are the endpoints as staff know them.
var opNames = map[string]string{
	"stable_token": "获取接口调用凭据", "uploadimg": "上传正文图片", "add_material": "上传封面图片",
	"draft/add": "新建草稿", "draft/update": "修改草稿",
}

// Explain turns an error of the client into a *cms.Error whose Chinese
// message says what happened and what to do; other errors pass through.
func Explain(err error) error {
	var ae *APIError
	var ne *NetError
	switch {
	case errors.As(err, &ae):
		return explainAPI(ae)
	case errors.As(err, &ne):
		return cms.Errorf(cms.EUNAVAILABLE, "连接微信服务器失败（%s）：请确认本服务器能访问 api.weixin.qq.com，稍后重试", opNames[ne.Op])
	}
	return err
}

func explainAPI(e *APIError) *cms.Error {
	op := opNames[e.Op]
	unavailable := func(format string, a ...any) *cms.Error { return cms.Errorf(cms.EUNAVAILABLE, format, a...) }
	switch e.Code {
	case 40001, 40014, 42001:
		return unavailable("微信拒绝了接口调用凭据（错误码 %d），重新获取后仍然无效：请确认设置中的 AppID 与 AppSecret 属于同一个公众号", e.Code)
	case 40125, 41004:
		return unavailable("公众号 AppSecret 不正确（错误码 %d）：请管理员在“设置”中重新填写公众平台“设置与开发→基本配置”中的 AppSecret", e.Code)
	case 40013, 41002:
		return unavailable("公众号 AppID 不正确（错误码 %d）：请管理员在“设置”中核对 AppID", e.Code)
	case 40164, 61004:
		ip := reportedIP(e.Msg)
		if ip == "" {
			return unavailable("本服务器的 IP 地址不在公众号的 IP 白名单中（错误码 %d）：请公众号管理员在公众平台“设置与开发→基本配置→IP白名单”中添加本服务器的出口 IP", e.Code)
		}
		return unavailable("本服务器的 IP 地址 %s 不在公众号的 IP 白名单中（错误码 %d）：请公众号管理员在公众平台“设置与开发→基本配置→IP白名单”中添加 %s 后重试", ip, e.Code, ip)
	case 48001:
		return unavailable("公众号没有“%s”接口的权限（错误码 48001）：草稿箱和素材接口需要已认证的公众号，请在公众平台“设置与开发→接口权限”中查看", op)
	case 50002:
		return unavailable("公众号的接口权限已被限制（错误码 50002），可能因违规受限，请登录公众平台查看")
	case 45009:
		return cms.Errorf(cms.ERATELIMIT, "今天调用“%s”接口的次数已达微信的上限（错误码 45009）：请明天再试，或由公众号管理员在公众平台清零调用次数", op)
	case 45011:
		return cms.Errorf(cms.ERATELIMIT, "调用微信接口过于频繁（错误码 45011），等待后重试仍未成功：请过一分钟再试")
	case 40007:
		return unavailable("微信找不到这个素材（错误码 40007，%s）：它可能已在公众号后台删除或群发，请再同步一次", op)
	case 45003:
		return &cms.Error{Code: cms.EINVALID, Message: "微信认为标题过长（错误码 45003）", Fields: map[string]string{"title": "标题超过了公众号的长度限制"}}
	case 45004:
		return &cms.Error{Code: cms.EINVALID, Message: "微信认为摘要过长（错误码 45004）", Fields: map[string]string{"summary": "摘要超过了公众号的长度限制"}}
	case 45110:
		return &cms.Error{Code: cms.EINVALID, Message: "微信认为作者名过长（错误码 45110）", Fields: map[string]string{"author": "作者超过了公众号的长度限制"}}
	case 45002:
		return &cms.Error{Code: cms.EINVALID, Message: "微信认为正文过长（错误码 45002）", Fields: map[string]string{"body": "正文超过了公众号的长度限制"}}
	case 40005, 40009, 40113, 45001:
		return unavailable("微信不接受这张图片的格式或大小（错误码 %d，%s）：正文图片须为 1MB 以下的 JPG/PNG", e.Code, op)
	case -1:
		return unavailable("微信服务器繁忙（错误码 -1），请稍后重试")
	}
	return unavailable("微信接口“%s”返回错误（错误码 %d：%s）", op, e.Code, e.Msg)
}

// reportedIP finds the address in WeChat's 40164 message, which reads
// "invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist rid: …".
func reportedIP(msg string) string {
	f := strings.Fields(strings.NewReplacer(",", " ", "，", " ").Replace(msg))
	for i := 0; i+1 < len(f); i++ {
		if strings.EqualFold(f[i], "ip") {
			if ip := net.ParseIP(f[i+1]); ip != nil {
				return ip.String()
			}
		}
	}
	for _, w := range f {
		if ip := net.ParseIP(w); ip != nil {
			return ip.String()
		}
	}
	return ""
}
