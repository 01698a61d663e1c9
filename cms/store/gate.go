package store

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
)

// wordingGate decides whether action may pass the wording checks. The
// final approval, and a publication that skips it (an admin publishing
// directly), are refused while the content has serious hits, unless the
// request carries an override reason; the reason is returned to be signed
// off. A publish of an approved story passes: the same version passed the
// gate at its final approval (any edit sends it back to draft).
func wordingGate(tx *gorm.DB, row *storyRow, req cms.ActionRequest, cur, next cms.WorkflowState, stages int) (override string, err error) {
	override = strings.TrimSpace(req.Override)
	if utf8.RuneCountInString(override) > 500 {
		return "", cms.Invalid(map[string]string{"override": "越过原因不能超过500个字"})
	}
	gated := (req.Action == cms.ActionApprove && next.Status == cms.StatusApproved) ||
		(req.Action == cms.ActionPublish && cur.Status != cms.StatusApproved)
	if !gated {
		return "", nil
	}
	hits, err := checkStory(tx, row)
	if err != nil {
		return "", err
	}
	serious := cms.Serious(hits)
	if len(serious) == 0 {
		return "", nil
	}
	if override == "" {
		first := serious[0]
		example := first.Message
		msg := fmt.Sprintf("稿件有%d处严重差错（%s），请改正后再%s；如确需%s，须由%s人员或管理员填写越过原因（override）",
			len(serious), example, gateLabel(req.Action, stages), gateLabel(req.Action, stages), cms.StageName(stages))
		return "", &cms.Error{Code: cms.EINVALID, Message: msg,
			Fields:  map[string]string{"override": "存在严重差错，须填写越过原因"},
			Details: cms.HitsDetail{Hits: serious}}
	}
	return override, nil
}

func gateLabel(a cms.Action, stages int) string {
	if a == cms.ActionApprove {
		return cms.StageName(stages) + "通过"
	}
	return "发布"
}
