package store

import (
	"time"

	"gorm.io/gorm"
)

// migrateEditorial adds what the editorial workflow needs beyond the
// foundation: the wording dictionary with a starter set of terms, the
// override reason on sign-offs, and server secrets (the preview signing
// key) kept in the database so that every process on one database agrees.
func migrateEditorial(tx *gorm.DB) error {
	if err := tx.AutoMigrate(&v2DictionaryTerm{}, &v2Secret{}); err != nil {
		return err
	}
	if !tx.Migrator().HasColumn(&v2SignOff{}, "Override") {
		if err := tx.Migrator().AddColumn(&v2SignOff{}, "Override"); err != nil {
			return err
		}
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	terms := make([]v2DictionaryTerm, len(starterDictionary))
	for i, t := range starterDictionary {
		t.Version, t.CreatedAt, t.UpdatedAt = 1, now, now
		terms[i] = t
	}
	return tx.Create(&terms).Error
}

type v2DictionaryTerm struct {
	ID         int64
	Term       string `gorm:"size:50;not null;uniqueIndex:ux_dictionary_terms_term"`
	Kind       string `gorm:"size:20;not null"`
	Severity   string `gorm:"size:20;not null"`
	Suggestion string `gorm:"size:100"`
	Note       string `gorm:"type:text"`
	Version    int    `gorm:"not null"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (v2DictionaryTerm) TableName() string { return "dictionary_terms" }

// v2Secret holds server-side keys; no API reads or writes this table.
type v2Secret struct {
	Name      string `gorm:"primaryKey;size:50"`
	Value     string `gorm:"size:200;not null"`
	CreatedAt time.Time
}

func (v2Secret) TableName() string { return "secrets" }

type v2SignOff struct {
	ID       int64
	Override string `gorm:"type:text"`
}

func (v2SignOff) TableName() string { return "sign_offs" }

// starterDictionary is the dictionary a new site starts with, written for
// Huimin from the errors civil-affairs publicity most often makes: misspelt
// service and office names, and wording about disabled people and the
// needy that is discriminatory or no longer official. Admins edit it.
var starterDictionary = []v2DictionaryTerm{
	{Term: "婚烟登记", Kind: "error", Severity: "serious", Suggestion: "婚姻登记"},
	{Term: "婚姻登机", Kind: "error", Severity: "serious", Suggestion: "婚姻登记"},
	{Term: "颁证议式", Kind: "error", Severity: "serious", Suggestion: "颁证仪式"},
	{Term: "民证局", Kind: "error", Severity: "serious", Suggestion: "民政局"},
	{Term: "殡丧", Kind: "error", Severity: "serious", Suggestion: "殡葬"},
	{Term: "殡仪管", Kind: "error", Severity: "serious", Suggestion: "殡仪馆"},
	{Term: "优扶", Kind: "error", Severity: "serious", Suggestion: "优抚"},
	{Term: "扶恤金", Kind: "error", Severity: "serious", Suggestion: "抚恤金"},
	{Term: "退伍军人事务局", Kind: "error", Severity: "serious", Suggestion: "退役军人事务局", Note: "机构名称以“退役军人事务”为准"},
	{Term: "最低生活保证", Kind: "error", Severity: "serious", Suggestion: "最低生活保障"},
	{Term: "志原者", Kind: "error", Severity: "serious", Suggestion: "志愿者"},
	{Term: "残废人", Kind: "forbidden", Severity: "serious", Suggestion: "残疾人", Note: "歧视性称谓"},
	{Term: "残废", Kind: "forbidden", Severity: "serious", Suggestion: "残疾", Note: "歧视性称谓"},
	{Term: "瞎子", Kind: "forbidden", Severity: "serious", Suggestion: "盲人（视力残疾人）", Note: "歧视性称谓"},
	{Term: "弱智", Kind: "forbidden", Severity: "serious", Suggestion: "智力残疾人", Note: "歧视性称谓"},
	{Term: "盲流", Kind: "forbidden", Severity: "serious", Suggestion: "流浪乞讨人员", Note: "歧视性称谓"},
	{Term: "聋哑人", Kind: "forbidden", Severity: "warning", Suggestion: "听力残疾人、言语残疾人", Note: "不规范称谓"},
	{Term: "智障", Kind: "forbidden", Severity: "warning", Suggestion: "智力残疾", Note: "不规范称谓"},
	{Term: "五保户", Kind: "forbidden", Severity: "warning", Suggestion: "特困人员", Note: "2014年起统一为特困人员救助供养"},
	{Term: "孤儿院", Kind: "forbidden", Severity: "warning", Suggestion: "儿童福利院", Note: "已不使用的机构名称"},
	{Term: "社会救济", Kind: "forbidden", Severity: "info", Suggestion: "社会救助", Note: "现行表述为社会救助"},
	{Term: "低保户", Kind: "sensitive", Severity: "info", Suggestion: "低保对象", Note: "规范表述为最低生活保障对象"},
	{Term: "老年痴呆", Kind: "sensitive", Severity: "warning", Suggestion: "认知障碍（阿尔茨海默病）", Note: "带有贬义，宜用医学名称"},
}
