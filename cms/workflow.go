package cms

import (
	"fmt"
	"slices"
)

// StoryStatus is the workflow state of a story's working copy.
type StoryStatus string

const (
	StatusDraft       StoryStatus = "draft"
	StatusInReview    StoryStatus = "in_review"
	StatusApproved    StoryStatus = "approved"
	StatusScheduled   StoryStatus = "scheduled"
	StatusPublished   StoryStatus = "published"
	StatusUnpublished StoryStatus = "unpublished"
)

var storyStatuses = [...]StoryStatus{StatusDraft, StatusInReview, StatusApproved, StatusScheduled, StatusPublished, StatusUnpublished}

// AllStoryStatuses returns every status (a fresh slice).
func AllStoryStatuses() []StoryStatus { return slices.Clone(storyStatuses[:]) }

// Valid reports whether s is a known status.
func (s StoryStatus) Valid() bool { return slices.Contains(storyStatuses[:], s) }

// Action is a workflow action on a story.
type Action string

const (
	ActionSubmit    Action = "submit"
	ActionApprove   Action = "approve"
	ActionReject    Action = "reject"
	ActionPublish   Action = "publish"
	ActionUnpublish Action = "unpublish"
)

var actions = [...]Action{ActionSubmit, ActionApprove, ActionReject, ActionPublish, ActionUnpublish}

// AllActions returns every action (a fresh slice).
func AllActions() []Action { return slices.Clone(actions[:]) }

// Actions lists every action.
//
// Deprecated: use AllActions; changing this slice changes nothing else.
var Actions = AllActions()

// ActionRequest is what a client sends to act on a story.
type ActionRequest struct {
	Action  Action `json:"-"`
	Comment string `json:"comment"`
	// Override is the reason the final reviewer or an admin gives for
	// approving or publishing despite serious wording hits.
	Override string `json:"override"`
}

// StageName is the Chinese name of review level k (三审: 初审, 复审, 终审).
func StageName(k int) string {
	if name, ok := stageNames[k]; ok {
		return name
	}
	return fmt.Sprintf("第%d审", k)
}

var stageNames = map[int]string{1: "初审", 2: "复审", 3: "终审"}

// CanPublish reports whether u may publish and unpublish on a site with the
// given number of review stages: an admin, or a reviewer of the final stage.
// Whoever may publish also decides when: only they set or change the
// publish and unpublish times of a story that is live or approved.
func CanPublish(u *User, stages int) bool { return CanSign(u, stageCount(stages)) }

// WorkflowState is the part of a story the state machine looks at.
type WorkflowState struct {
	Status    StoryStatus
	Stage     int  // current review stage while in review
	Live      bool // a version is on the public site
	CreatedBy int64
}

// Transition applies action a by user u to state cur, for a site with the
// given number of review stages (1..3; stage k is signed off by a reviewer of
// level k, the last one is the final stage). It returns the next state, or
// EFORBIDDEN saying who may act, ECONFLICT when the action does not apply to
// the current state, EINVALID when a reject lacks a comment.
//
// Admins may do everything, including publishing without review; that is
// recorded like any other sign-off.
func Transition(cur WorkflowState, a Action, u *User, stages int, comment string) (WorkflowState, error) {
	if u == nil {
		return cur, Errorf(EUNAUTHORIZED, "请先登录")
	}
	next := cur
	admin := u.Role == RoleAdmin
	final := stageCount(stages)
	switch a {
	case ActionSubmit:
		if !(admin || u.Role == RoleEditor || u.ID == cur.CreatedBy) {
			return cur, Errorf(EFORBIDDEN, "只有稿件作者、编辑或管理员可以提交送审")
		}
		if cur.Status != StatusDraft && cur.Status != StatusUnpublished {
			return cur, Errorf(ECONFLICT, "只有草稿或已撤下的稿件可以提交送审（当前状态：%s）", cur.Status.Label())
		}
		next.Status, next.Stage = StatusInReview, 1
	case ActionApprove:
		if cur.Status != StatusInReview {
			return cur, Errorf(ECONFLICT, "稿件当前不在审核中（当前状态：%s）", cur.Status.Label())
		}
		if !CanSign(u, cur.Stage) {
			return cur, Errorf(EFORBIDDEN, "当前为%s阶段，只有%s人员或管理员可以审核通过", StageName(cur.Stage), StageName(cur.Stage))
		}
		if cur.Stage < final {
			next.Stage = cur.Stage + 1
		} else {
			next.Status, next.Stage = StatusApproved, 0
		}
	case ActionReject:
		stage := cur.Stage
		switch cur.Status {
		case StatusInReview:
		case StatusApproved, StatusScheduled:
			stage = final
		default:
			return cur, Errorf(ECONFLICT, "只有审核中、已通过或待发布的稿件可以退回（当前状态：%s）", cur.Status.Label())
		}
		if !CanSign(u, stage) {
			return cur, Errorf(EFORBIDDEN, "当前为%s阶段，只有%s人员或管理员可以退回", StageName(stage), StageName(stage))
		}
		if blank(comment) {
			return cur, &Error{Code: EINVALID, Message: "退回稿件必须填写退回意见", Fields: map[string]string{"comment": "请填写退回意见"}}
		}
		next.Status, next.Stage = StatusDraft, 0
	case ActionPublish:
		if !CanPublish(u, stages) {
			return cur, Errorf(EFORBIDDEN, "只有%s人员或管理员可以发布", StageName(final))
		}
		switch {
		case cur.Status == StatusApproved:
		case admin && cur.Status != StatusPublished && cur.Status != StatusScheduled:
			// Direct publication by an admin skips review; it is signed off as such.
		default:
			return cur, Errorf(ECONFLICT, "只有审核通过的稿件可以发布（当前状态：%s）", cur.Status.Label())
		}
		next.Status, next.Stage, next.Live = StatusPublished, 0, true
	case ActionUnpublish:
		if !CanPublish(u, stages) {
			return cur, Errorf(EFORBIDDEN, "只有%s人员或管理员可以撤下稿件", StageName(final))
		}
		if !cur.Live && cur.Status != StatusScheduled {
			return cur, Errorf(ECONFLICT, "稿件未发布，无需撤下（当前状态：%s）", cur.Status.Label())
		}
		next.Status, next.Stage, next.Live = StatusUnpublished, 0, false
	default:
		return cur, Errorf(ENOTFOUND, "未知的操作：%s", a)
	}
	return next, nil
}

var statusLabels = map[StoryStatus]string{
	StatusDraft:       "草稿",
	StatusInReview:    "审核中",
	StatusApproved:    "已通过",
	StatusScheduled:   "待发布",
	StatusPublished:   "已发布",
	StatusUnpublished: "已撤下",
}

// Label returns the Chinese name of the status.
func (s StoryStatus) Label() string { return label(statusLabels, s) }
