package cms

import (
	"context"
	"time"
)

// Severity is how bad a wording hit is. Serious hits block the final
// approval and publication unless the final reviewer overrides them with a
// reason, which goes into the sign-off and the audit trail.
type Severity string

const (
	SeveritySerious Severity = "serious"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool {
	return s == SeveritySerious || s == SeverityWarning || s == SeverityInfo
}

// TermKind says why a dictionary term is flagged.
type TermKind string

const (
	// TermError is a known wrong form (a misspelt title, place or service
	// name); Suggestion holds the correct form.
	TermError TermKind = "error"
	// TermForbidden must not appear on a government site (discriminatory or
	// outdated official wording).
	TermForbidden TermKind = "forbidden"
	// TermSensitive needs a second look before publication.
	TermSensitive TermKind = "sensitive"
	// TermKeep is a proper name the bureau keeps as written (a place or
	// brand name in traditional characters): the 规范汉字 check and the
	// conversion to simplified characters pass over it.
	TermKeep TermKind = "keep"
)

// Valid reports whether k is a known kind.
func (k TermKind) Valid() bool {
	return k == TermError || k == TermForbidden || k == TermSensitive || k == TermKeep
}

// DictionaryTerm is one entry of the wording dictionary admins maintain.
type DictionaryTerm struct {
	ID         int64    `json:"id"`
	Term       string   `json:"term"`
	Kind       TermKind `json:"kind"`
	Severity   Severity `json:"severity"`
	Suggestion string   `json:"suggestion"` // the correct or preferred form; may be empty
	Note       string   `json:"note"`
	// Platform marks a term of the platform-wide dictionary, which every
	// site's checks use; the rest are the site's own additions. Only
	// platform admins create or change platform terms.
	Platform  bool      `json:"platform"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// MaxTermRunes bounds dictionary terms; they are words, not sentences.
const MaxTermRunes = 50

// Validate reports the fields of t that are wrong.
func (t *DictionaryTerm) Validate() error {
	f := map[string]string{}
	if blank(t.Term) || runes(t.Term) > MaxTermRunes {
		f["term"] = "词条不能为空，且不超过50个字"
	}
	if !t.Kind.Valid() {
		f["kind"] = "类型必须是 error（差错）、forbidden（禁用）、sensitive（敏感）或 keep（保留原字形）"
	}
	if !t.Severity.Valid() {
		f["severity"] = "级别必须是 serious、warning 或 info"
	}
	if runes(t.Suggestion) > 100 {
		f["suggestion"] = "建议用法不能超过100个字"
	}
	if t.Suggestion != "" && t.Suggestion == t.Term {
		f["suggestion"] = "建议用法不能与词条相同"
	}
	if runes(t.Note) > 500 {
		f["note"] = "说明不能超过500个字"
	}
	return invalidIf(f)
}

// DictionaryUpdate is a partial update of a term; nil fields are left alone.
type DictionaryUpdate struct {
	Version    int       `json:"version"`
	Term       *string   `json:"term"`
	Kind       *TermKind `json:"kind"`
	Severity   *Severity `json:"severity"`
	Suggestion *string   `json:"suggestion"`
	Note       *string   `json:"note"`
}

// Apply copies the set fields of u onto t.
func (u *DictionaryUpdate) Apply(t *DictionaryTerm) {
	set(&t.Term, u.Term)
	set(&t.Kind, u.Kind)
	set(&t.Severity, u.Severity)
	set(&t.Suggestion, u.Suggestion)
	set(&t.Note, u.Note)
}

// DictionaryService manages the wording dictionary.
type DictionaryService interface {
	// FindTerms returns every term, ordered by term.
	FindTerms(ctx context.Context) ([]*DictionaryTerm, error)
	// CreateTerm returns EINVALID, or ECONFLICT for a term already listed.
	CreateTerm(ctx context.Context, t *DictionaryTerm) error
	// UpdateTerm returns ENOTFOUND, EINVALID, ECONFLICT (stale version or duplicate).
	UpdateTerm(ctx context.Context, id int64, u DictionaryUpdate) (*DictionaryTerm, error)
	// DeleteTerm returns ENOTFOUND.
	DeleteTerm(ctx context.Context, id int64) error
}

// Check names a kind of wording or form check.
const (
	CheckDictionary = "dictionary"  // a dictionary term was found
	CheckImageAlt   = "image_alt"   // an image has no alt text
	CheckShareTitle = "share_title" // share title longer than WeChat shows
	CheckSummary    = "summary"     // summary too long
	CheckLink       = "link"        // a link to one of the site's own pages that does not exist
	// CheckRemoteImage: a body image loaded from another site or inlined as
	// a data URI; publishing refuses it.
	CheckRemoteImage = "remote_image"
	// 规范汉字 (issue 20): traditional or variant characters, pinyin
	// annotations copied with the text, half-width punctuation among
	// Chinese characters.
	CheckHanzi       = "hanzi"
	CheckPinyin      = "pinyin"
	CheckPunctuation = "punctuation"
	// CheckExternalLink: a link to another site that the background link
	// check found broken (issue 20).
	CheckExternalLink = "external_link"
)

// Hit is one finding of the checks run on a story before submit and publish.
type Hit struct {
	Check string `json:"check"`
	// Field is where: title, share_title, summary, body, cover.alt,
	// cover.caption, media:<id>.alt, media:<id>.caption, body.img[<n>].alt.
	Field string `json:"field"`
	// Position is the offset in characters (runes) into the field's text;
	// for the body that text is markup.Text of the HTML.
	Position   int      `json:"position"`
	Length     int      `json:"length"` // in runes
	Term       string   `json:"term,omitempty"`
	Kind       TermKind `json:"kind,omitempty"`
	Severity   Severity `json:"severity"`
	Suggestion string   `json:"suggestion,omitempty"`
	Message    string   `json:"message"`
	Context    string   `json:"context,omitempty"` // the text around the hit
}

// Serious returns the serious hits of hits.
func Serious(hits []Hit) []Hit {
	var out []Hit
	for _, h := range hits {
		if h.Severity == SeveritySerious {
			out = append(out, h)
		}
	}
	return out
}

// CheckService runs the wording and form checks on a story's working copy.
type CheckService interface {
	// CheckStory returns the hits of the story's working copy; ENOTFOUND.
	CheckStory(ctx context.Context, id int64) ([]Hit, error)
}

// HitsDetail is the Error.Details of an action refused for serious hits.
type HitsDetail struct {
	Hits []Hit `json:"hits"`
}
