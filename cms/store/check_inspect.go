package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/markup"
)

var _ cms.InspectionStore = (*DB)(nil)

// inspectionSettingsRow is the one row of a site's inspection settings;
// its ID is the site's.
type inspectionSettingsRow struct {
	ID        int64
	SiteID    int64
	NewsDays  int
	OtherDays int
	WarnDays  int
	Lists     string // JSON: news_lists, other_lists, column_tags
	Version   int
	UpdatedAt time.Time
}

func (inspectionSettingsRow) TableName() string { return "inspection_settings" }

type linkCheckRow = v10LinkCheck

type inspectionLists struct {
	NewsLists  []string `json:"news_lists"`
	OtherLists []string `json:"other_lists"`
	ColumnTags []string `json:"column_tags"`
}

// FindInspectionSettings returns the freshness thresholds; the indicators'
// defaults until an admin saves them.
func (db *DB) FindInspectionSettings(ctx context.Context) (s *cms.InspectionSettings, err error) {
	defer cms.Wrap(&err, "FindInspectionSettings")
	var row inspectionSettingsRow
	err = db.read(ctx).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		d := cms.DefaultInspectionSettings()
		return &d, nil
	} else if err != nil {
		return nil, err
	}
	out := &cms.InspectionSettings{NewsDays: row.NewsDays, OtherDays: row.OtherDays, WarnDays: row.WarnDays,
		Version: row.Version, UpdatedAt: row.UpdatedAt}
	var l inspectionLists
	if row.Lists != "" {
		if err := json.Unmarshal([]byte(row.Lists), &l); err != nil {
			return nil, err
		}
	}
	out.NewsLists, out.OtherLists, out.ColumnTags = nonNil(l.NewsLists), nonNil(l.OtherLists), nonNil(l.ColumnTags)
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// SaveInspectionSettings saves s if its version is the stored one (0 before
// the first save) and sets its new version.
func (db *DB) SaveInspectionSettings(ctx context.Context, s *cms.InspectionSettings) (err error) {
	defer cms.Wrap(&err, "SaveInspectionSettings")
	if err := s.Validate(); err != nil {
		return err
	}
	a := actorOf(ctx)
	lists, err := json.Marshal(inspectionLists{NewsLists: nonNil(s.NewsLists), OtherLists: nonNil(s.OtherLists), ColumnTags: nonNil(s.ColumnTags)})
	if err != nil {
		return err
	}
	err = db.tx(ctx, func(tx *gorm.DB) error {
		var row inspectionSettingsRow
		err := tx.Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			row = inspectionSettingsRow{ID: siteCtx(ctx)}
		} else if err != nil {
			return err
		}
		if row.Version != s.Version {
			return &cms.Error{Code: cms.ECONFLICT, Message: "体检设置已被他人修改，请刷新后再改"}
		}
		next := inspectionSettingsRow{ID: row.ID, NewsDays: s.NewsDays, OtherDays: s.OtherDays, WarnDays: s.WarnDays,
			Lists: string(lists), Version: row.Version + 1, UpdatedAt: db.now()}
		if row.Version == 0 {
			err = tx.Create(&next).Error
		} else {
			err = tx.Save(&next).Error
		}
		if err != nil {
			return err
		}
		s.Version, s.UpdatedAt = next.Version, next.UpdatedAt
		return db.audit(tx, a, event{action: "inspection.settings", object: "inspection:1", after: s})
	})
	return err
}

// SaveLinkChecks records results, replacing earlier ones of the same URLs.
func (db *DB) SaveLinkChecks(ctx context.Context, results []cms.LinkCheckResult) (err error) {
	defer cms.Wrap(&err, "SaveLinkChecks")
	if len(results) == 0 {
		return nil
	}
	rows := make([]linkCheckRow, len(results))
	for i, r := range results {
		rows[i] = linkCheckRow{URLHash: urlHash(r.URL), URL: r.URL, OK: r.OK, Status: r.Status,
			Error: clip(r.Error, 1000), CheckedAt: r.CheckedAt.UTC()}
	}
	return db.tx(ctx, func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{UpdateAll: true}).CreateInBatches(rows, 200).Error
	})
}

// FindLinkChecks returns the last result of every URL checked, by URL.
func (db *DB) FindLinkChecks(ctx context.Context) (out map[string]cms.LinkCheckResult, err error) {
	defer cms.Wrap(&err, "FindLinkChecks")
	var rows []linkCheckRow
	if err := db.read(ctx).Find(&rows).Error; err != nil {
		return nil, err
	}
	out = make(map[string]cms.LinkCheckResult, len(rows))
	for _, r := range rows {
		out[r.URL] = cms.LinkCheckResult{URL: r.URL, OK: r.OK, Status: r.Status, Error: r.Error, CheckedAt: r.CheckedAt}
	}
	return out, nil
}

// LastPublisher returns the name on the story's last publish sign-off.
func (db *DB) LastPublisher(ctx context.Context, storyID int64) (name string, err error) {
	defer cms.Wrap(&err, "LastPublisher(%d)", storyID)
	var row signOffRow
	err = db.read(ctx).Where("story_id = ? AND action = ?", storyID, string(cms.ActionPublish)).
		Order("id DESC").Limit(1).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", nil
	}
	return row.ActorName, err
}

func urlHash(u string) string {
	h := sha256.Sum256([]byte(u))
	return hex.EncodeToString(h[:])
}

// brokenExternalLinks returns a warning for every link of body to another
// site than host whose last check failed.
func brokenExternalLinks(tx *gorm.DB, body, host string) ([]cms.Hit, error) {
	var hashes []string
	for _, href := range markup.Links(body) {
		u, err := url.Parse(strings.TrimSpace(href))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.EqualFold(u.Host, host) {
			continue
		}
		hashes = append(hashes, urlHash(u.String()))
	}
	if len(hashes) == 0 {
		return nil, nil
	}
	var rows []linkCheckRow
	if err := tx.Where("url_hash IN ? AND ok = ?", hashes, false).Find(&rows).Error; err != nil {
		return nil, err
	}
	var hits []cms.Hit
	for _, r := range rows {
		hits = append(hits, cms.Hit{Check: cms.CheckExternalLink, Field: "body", Term: r.URL, Severity: cms.SeverityWarning,
			Message: fmt.Sprintf("正文外部链接 %s 不可用：%s（%s 检查）", r.URL, r.Error,
				r.CheckedAt.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04"))})
	}
	return hits, nil
}
