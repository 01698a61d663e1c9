package store

// Chinese full-text search.
//
// Chinese has no spaces, so words are found by n-grams. MySQL's FULLTEXT
// "WITH PARSER ngram" would do it there, but MariaDB (which Debian and most
// bureau servers ship as "MySQL") has no ngram parser, and SQLite's FTS5
// tokenisers do not split Chinese either. So Huimin tokenises itself, the
// same way for both databases, and lets each database index the tokens:
//
//   - CJK text gives every single character and every pair of neighbouring
//     characters (bigrams): 养老服务 → 养 老 服 务 养老 老服 服务. Other
//     letters and digits give lower-cased words, e.g. "WeChat" → wechat.
//   - Each term is written as a plain ASCII token, a kind letter followed by
//     each code point in four base-36 digits (养老 → "z" + "...." + "...."),
//     so that neither database's tokeniser, case folding, accent folding,
//     minimum word length or stopword list can change it.
//   - The tokens of a live story's title, summary, tags and body text go in
//     story_search: an FTS5 table on SQLite, a table with a FULLTEXT index on
//     MySQL. Rows are written in the transaction that publishes, unpublishes
//     or imports the story, so search never disagrees with what is live.
//   - A query matches the stories that contain all of its terms: the bigrams
//     of its CJK runs (a lone character is searched as itself) and its
//     words. 养老 is one bigram; 养老服务 needs 养老, 老服 and 服务. FTS5
//     ("a" "b") and boolean-mode MATCH (+a +b) are both exact AND over the
//     same tokens, which is why both databases give the same results.
//
// The query side always runs through story_live, so a stale row could never
// make a story that is not live appear.

import (
	"html"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gorm.io/gorm"
)

const (
	maxWordRunes  = 16    // longer words are cut: MySQL tokens end at 84 characters
	maxDocTerms   = 30000 // bounds the index row of a very long story
	maxQueryTerms = 24
	searchBatch   = 100 // rows per INSERT when indexing an import
	termUnigram   = 'y'
	termBigram    = 'z'
	termWord      = 'x'
)

// isCJK reports whether r belongs to a script written without spaces.
func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// foldRune maps full-width ASCII to ASCII and letters to lower case, so that
// "ＡＰＰ", "APP" and "app" are one word.
func foldRune(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		r -= 0xFEE0
	}
	return unicode.ToLower(r)
}

// eachRun calls fn for every run of CJK characters and every word in text.
func eachRun(text string, fn func(run []rune, cjk bool)) {
	var run []rune
	cjk := false
	flush := func() {
		if len(run) > 0 {
			fn(run, cjk)
			run = run[:0]
		}
	}
	for _, r := range text {
		r = foldRune(r)
		switch {
		case isCJK(r):
			if !cjk {
				flush()
			}
			cjk = true
			run = append(run, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if cjk {
				flush()
			}
			cjk = false
			run = append(run, r)
		default:
			flush()
		}
	}
	flush()
}

// token encodes a term as ASCII: kind, then four base-36 digits per rune.
func token(kind byte, rs []rune) string {
	b := make([]byte, 1, 1+4*len(rs))
	b[0] = kind
	for _, r := range rs {
		d := strconv.FormatInt(int64(r), 36)
		for i := len(d); i < 4; i++ {
			b = append(b, '0')
		}
		b = append(b, d...)
	}
	return string(b)
}

func wordToken(run []rune) string {
	if len(run) > maxWordRunes {
		run = run[:maxWordRunes]
	}
	return token(termWord, run)
}

// docTerms returns the search tokens of a story's texts, sorted and
// separated by spaces, as stored in story_search.
func docTerms(texts ...string) string {
	set := map[string]struct{}{}
	for _, t := range texts {
		eachRun(t, func(run []rune, cjk bool) {
			if len(set) >= maxDocTerms {
				return
			}
			if !cjk {
				set[wordToken(run)] = struct{}{}
				return
			}
			for i := range run {
				set[token(termUnigram, run[i:i+1])] = struct{}{}
				if i+1 < len(run) {
					set[token(termBigram, run[i:i+2])] = struct{}{}
				}
			}
		})
	}
	terms := make([]string, 0, len(set))
	for t := range set {
		terms = append(terms, t)
	}
	sort.Strings(terms)
	return strings.Join(terms, " ")
}

// queryTerms returns the tokens a story must contain to match q; none when
// q has no letters, digits or CJK characters.
func queryTerms(q string) []string {
	var terms []string
	seen := map[string]bool{}
	add := func(t string) {
		if !seen[t] && len(terms) < maxQueryTerms {
			seen[t] = true
			terms = append(terms, t)
		}
	}
	eachRun(q, func(run []rune, cjk bool) {
		switch {
		case !cjk:
			add(wordToken(run))
		case len(run) == 1:
			add(token(termUnigram, run))
		default:
			for i := 0; i+1 < len(run); i++ {
				add(token(termBigram, run[i:i+2]))
			}
		}
	})
	return terms
}

// inlineTags do not separate words: 养<strong>老</strong> is still 养老.
var inlineTags = map[string]bool{
	"a": true, "abbr": true, "b": true, "em": true, "font": true, "i": true, "mark": true,
	"small": true, "span": true, "strong": true, "sub": true, "sup": true, "u": true, "s": true,
}

// bodyText returns the text of sanitised HTML, with block boundaries as
// spaces so that the last character of one paragraph and the first of the
// next do not form a bigram.
func bodyText(body string) string {
	var b strings.Builder
	b.Grow(len(body) / 2)
	for len(body) > 0 {
		i := strings.IndexByte(body, '<')
		if i < 0 {
			b.WriteString(html.UnescapeString(body))
			break
		}
		b.WriteString(html.UnescapeString(body[:i]))
		j := strings.IndexByte(body[i:], '>')
		if j < 0 {
			break
		}
		name := strings.TrimPrefix(body[i+1:i+j], "/")
		if k := strings.IndexAny(name, " \t\n/"); k >= 0 {
			name = name[:k]
		}
		if !inlineTags[strings.ToLower(name)] {
			b.WriteByte(' ')
		}
		body = body[i+j+1:]
	}
	return b.String()
}

// revisionTerms returns the search tokens of a live revision.
func revisionTerms(rev *revisionRow) string {
	return docTerms(rev.Title, rev.ShareTitle, rev.Summary, strings.Join(decodeTags(rev.Tags), " "), bodyText(rev.Body))
}

func isSQLite(tx *gorm.DB) bool { return tx.Dialector.Name() == dialectSQLite }

// indexLive writes the search row of story id from its live revision.
func indexLive(tx *gorm.DB, id int64, rev *revisionRow) error {
	if err := unindexLive(tx, id); err != nil {
		return err
	}
	return insertSearchRows(tx, []int64{id}, []string{revisionTerms(rev)})
}

// unindexLive removes story id from search.
func unindexLive(tx *gorm.DB, id int64) error {
	if isSQLite(tx) {
		return tx.Exec("DELETE FROM story_search WHERE rowid = ?", id).Error
	}
	return tx.Exec("DELETE FROM story_search WHERE story_id = ?", id).Error
}

// indexRevisions indexes the live revisions revs (of stories that have no
// search row yet) in multi-row INSERTs.
func indexRevisions(tx *gorm.DB, revs []revisionRow) error {
	for start := 0; start < len(revs); start += searchBatch {
		chunk := revs[start:min(start+searchBatch, len(revs))]
		ids := make([]int64, len(chunk))
		terms := make([]string, len(chunk))
		for i := range chunk {
			ids[i], terms[i] = chunk[i].StoryID, revisionTerms(&chunk[i])
		}
		if err := insertSearchRows(tx, ids, terms); err != nil {
			return err
		}
	}
	return nil
}

func insertSearchRows(tx *gorm.DB, ids []int64, terms []string) error {
	if len(ids) == 0 {
		return nil
	}
	col := "story_id"
	if isSQLite(tx) {
		col = "rowid"
	}
	var q strings.Builder
	q.WriteString("INSERT INTO story_search (" + col + ", terms) VALUES ")
	args := make([]any, 0, 2*len(ids))
	for i := range ids {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString("(?, ?)")
		args = append(args, ids[i], terms[i])
	}
	return tx.Exec(q.String(), args...).Error
}

// indexLiveStories indexes every live story that has no search row; the
// migration that creates story_search uses it to catch up.
func indexLiveStories(tx *gorm.DB) error {
	var after int64
	for {
		var revs []revisionRow
		err := tx.Table("story_live AS l").Select("r.*").
			Joins("JOIN story_revisions r ON r.id = l.revision_id").
			Where("l.story_id > ?", after).Order("l.story_id").Limit(eachBatch).Find(&revs).Error
		if err != nil || len(revs) == 0 {
			return err
		}
		if err := indexRevisions(tx, revs); err != nil {
			return err
		}
		after = revs[len(revs)-1].StoryID
	}
}

// searchClause returns the condition selecting live stories (aliased l)
// that match q, for the content query.
func searchClause(tx *gorm.DB, q string) (string, []any) {
	terms := queryTerms(q)
	if len(terms) == 0 {
		return "1 = 0", nil
	}
	if isSQLite(tx) {
		return "l.story_id IN (SELECT rowid FROM story_search WHERE story_search MATCH ?)",
			[]any{`"` + strings.Join(terms, `" "`) + `"`}
	}
	return "l.story_id IN (SELECT story_id FROM story_search WHERE MATCH(terms) AGAINST (? IN BOOLEAN MODE))",
		[]any{"+" + strings.Join(terms, " +")}
}

// indexImported indexes the items of an import that went live; revs[i] is
// the first revision of items[i].
func indexImported(tx *gorm.DB, items []*importItem, revs []revisionRow) error {
	var live []revisionRow
	for i, it := range items {
		if it.publish {
			live = append(live, revs[i])
		}
	}
	return indexRevisions(tx, live)
}
