package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/markup"
)

// Search on a static site, for Chinese. Chinese has no spaces, so the index
// uses overlapping character bigrams (养老服务 → 养老, 老服, 服务): a query of
// two or more characters becomes its bigrams and a story matches when it
// has all of them. Runs of letters and digits are whole terms.
//
// The export writes the index among its extra files, which the build
// publishes at /search/i/:
//
//	meta.json    {"v": version, "shards": S, "chunk": C, "docs": N}
//	t/<k>.json   the terms whose hash is k mod S: {"养老": postings, ...}
//	d/<k>.json   the stories with id / C == k: {"<id>": [title, url, date, summary]}
//
// A query fetches meta.json, one term shard per distinct bigram and the doc
// chunks of the results it shows, so what one search transfers depends on
// how common its words are, not on the size of the site. Shard counts grow
// with the index to keep shards near shardTarget bytes.
//
// Postings are story ids, ascending, delta-encoded; each value is
// delta*2 + (1 if the term is in the title). Values are written as base-32
// varints in JSON-safe characters: digits of continuation from contDigits,
// the last (least significant) digit from termDigits. themes/huimin/assets/
// js/search.js decodes them and hashes terms the same way (FNV-1a over
// UTF-16 code units).
//
// The index lives in memory and is updated story by story, so a publish
// re-encodes only the shards holding the story's terms and its doc chunk.

const (
	searchDir   = "search/i" // below the site root
	shardTarget = 16 << 10
	minShards   = 16
	maxShards   = 4096
	docChunk    = 32
	termDigits  = "0123456789abcdefghijklmnopqrstuv"
	contDigits  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.~!*"
	maxTermLen  = 32
	summaryRune = 40
)

// searchIndex is the search index of the published stories.
type searchIndex struct {
	docs     map[int64]*cms.LiveStory // the version of each story indexed
	postings map[string][]uint32      // term → id<<1 | in title, ascending
	encoded  map[string]string        // term → encodePostings
	size     int                      // bytes of all terms with their postings
	shards   int
	byShard  map[int]map[string]bool
	digests  map[string][32]byte // file → sha256, for the version in meta.json

	dirtyTerms map[string]bool
	dirtyDocs  map[int64]bool // doc chunk numbers
}

func newSearchIndex() *searchIndex {
	return &searchIndex{
		docs: map[int64]*cms.LiveStory{}, postings: map[string][]uint32{}, encoded: map[string]string{},
		byShard: map[int]map[string]bool{}, digests: map[string][32]byte{},
		dirtyTerms: map[string]bool{}, dirtyDocs: map[int64]bool{},
	}
}

// update brings the index in line with published and returns the files
// that changed, by path below the site root, and those to remove.
func (x *searchIndex) update(published map[int64]*cms.LiveStory) (changed map[string][]byte, removed []string) {
	x.sync(published)
	out := &searchFiles{digests: x.digests, changed: map[string][]byte{}}
	if len(x.dirtyTerms) == 0 && len(x.dirtyDocs) == 0 && len(x.digests) > 0 {
		return out.changed, nil
	}
	x.encodeDirtyTerms()
	x.writeTermShards(out, x.reshard())
	x.writeDocChunks(out)
	x.writeMeta(out)
	clear(x.dirtyTerms)
	clear(x.dirtyDocs)
	return out.changed, out.removed
}

// searchFiles collects the files an update writes and removes, and keeps
// the index's digests in step with them.
type searchFiles struct {
	digests map[string][32]byte
	changed map[string][]byte
	removed []string
}

func (o *searchFiles) put(name string, b []byte) {
	o.changed[name] = b
	o.digests[name] = sha256.Sum256(b)
}

func (o *searchFiles) drop(name string) {
	if _, ok := o.digests[name]; ok {
		o.removed = append(o.removed, name)
		delete(o.digests, name)
	}
}

// sync removes the stories no longer published, or published in another
// version, and adds the new versions.
func (x *searchIndex) sync(published map[int64]*cms.LiveStory) {
	for id, ls := range x.docs {
		if published[id] != ls {
			x.remove(ls)
		}
	}
	for id, ls := range published {
		if x.docs[id] != ls {
			x.add(ls)
		}
	}
}

// encodeDirtyTerms encodes the postings of the terms that changed again,
// keeping the size of the index up to date.
func (x *searchIndex) encodeDirtyTerms() {
	for t := range x.dirtyTerms {
		if enc, ok := x.encoded[t]; ok {
			x.size -= len(t) + len(enc) + 6
		}
		if ps := x.postings[t]; len(ps) > 0 {
			x.encoded[t] = encodePacked(ps)
			x.size += len(t) + len(x.encoded[t]) + 6
		} else {
			delete(x.encoded, t)
			delete(x.postings, t)
		}
	}
}

// reshard picks the number of term shards for the index's size and returns
// the shards to write again: all of them when the number changed.
func (x *searchIndex) reshard() (dirtyShards map[int]bool) {
	shards := minShards
	for shards < maxShards && x.size/shards > shardTarget {
		shards *= 2
	}
	dirtyShards = map[int]bool{}
	if shards != x.shards {
		x.shards = shards
		x.byShard = map[int]map[string]bool{}
		for t := range x.encoded {
			x.shardOf(t)[t] = true
		}
		for k := range shards {
			dirtyShards[k] = true
		}
		return dirtyShards
	}
	for t := range x.dirtyTerms {
		k := int(termHash(t) % uint32(x.shards))
		if _, ok := x.encoded[t]; ok {
			x.shardOf(t)[t] = true
		} else {
			delete(x.byShard[k], t)
		}
		dirtyShards[k] = true
	}
	return dirtyShards
}

// writeTermShards writes the term shards in dirtyShards, and removes empty
// ones and those beyond a smaller count.
func (x *searchIndex) writeTermShards(out *searchFiles, dirtyShards map[int]bool) {
	var b bytes.Buffer
	for k := range dirtyShards {
		name := searchDir + "/t/" + strconv.Itoa(k) + ".json"
		terms := slices.Sorted(maps.Keys(x.byShard[k]))
		if len(terms) == 0 {
			out.drop(name)
			continue
		}
		b.Reset()
		b.WriteByte('{')
		for i, t := range terms {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, t)
			b.WriteByte(':')
			writeJSONString(&b, x.encoded[t])
		}
		b.WriteByte('}')
		out.put(name, bytes.Clone(b.Bytes()))
	}
	for name := range x.digests { // shards beyond a smaller count
		if rest, ok := strings.CutPrefix(name, searchDir+"/t/"); ok {
			if k, err := strconv.Atoi(strings.TrimSuffix(rest, ".json")); err == nil && k >= x.shards {
				out.drop(name)
			}
		}
	}
}

// writeDocChunks writes the chunks of stories that changed: title, URL,
// date and summary of each, by id.
func (x *searchIndex) writeDocChunks(out *searchFiles) {
	if len(x.dirtyDocs) == 0 {
		return
	}
	byChunk := map[int64][]*cms.LiveStory{}
	for id, ls := range x.docs {
		if x.dirtyDocs[id/docChunk] {
			byChunk[id/docChunk] = append(byChunk[id/docChunk], ls)
		}
	}
	var b bytes.Buffer
	for k := range x.dirtyDocs {
		name := searchDir + "/d/" + strconv.FormatInt(k, 10) + ".json"
		docs := byChunk[k]
		if len(docs) == 0 {
			out.drop(name)
			continue
		}
		slices.SortFunc(docs, func(a, b *cms.LiveStory) int { return int(a.ID - b.ID) })
		b.Reset()
		b.WriteByte('{')
		for i, ls := range docs {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, strconv.FormatInt(ls.ID, 10))
			b.WriteString(":[")
			for j, f := range []string{ls.Title, cms.StoryURL(ls.Slug), storyDate(ls).Format("2006-01-02"), clip(strings.TrimSpace(ls.Summary), summaryRune)} {
				if j > 0 {
					b.WriteByte(',')
				}
				writeJSONString(&b, f)
			}
			b.WriteByte(']')
		}
		b.WriteByte('}')
		out.put(name, bytes.Clone(b.Bytes()))
	}
}

// writeMeta writes meta.json, whose version is a digest of every other
// file of the index.
func (x *searchIndex) writeMeta(out *searchFiles) {
	names := make([]string, 0, len(x.digests))
	for n := range x.digests {
		if n != searchDir+"/meta.json" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	version := sha256.New()
	for _, n := range names {
		d := x.digests[n]
		version.Write([]byte(n + "\x00"))
		version.Write(d[:])
	}
	meta, _ := json.Marshal(map[string]any{
		"v": hex.EncodeToString(version.Sum(nil))[:12], "shards": x.shards, "chunk": docChunk, "docs": len(x.docs),
	})
	out.put(searchDir+"/meta.json", meta)
}

func (x *searchIndex) shardOf(t string) map[string]bool {
	k := int(termHash(t) % uint32(x.shards))
	m := x.byShard[k]
	if m == nil {
		m = map[string]bool{}
		x.byShard[k] = m
	}
	return m
}

// storyTerms returns the terms of a story and which of them are in its title.
func storyTerms(ls *cms.LiveStory) (terms []string, inTitle map[string]bool) {
	inTitle = map[string]bool{}
	for _, t := range searchTerms(ls.Title) {
		inTitle[t] = true
	}
	seen := map[string]bool{}
	for _, t := range searchTerms(ls.Title + "\n" + ls.Summary + "\n" + strings.Join(ls.Tags, "\n") + "\n" + ls.Author + "\n" + markup.Text(ls.Body)) {
		if !seen[t] {
			seen[t] = true
			terms = append(terms, t)
		}
	}
	return terms, inTitle
}

func (x *searchIndex) add(ls *cms.LiveStory) {
	if old := x.docs[ls.ID]; old != nil {
		x.remove(old)
	}
	terms, inTitle := storyTerms(ls)
	for _, t := range terms {
		v := uint32(ls.ID) << 1
		if inTitle[t] {
			v |= 1
		}
		ps := x.postings[t]
		i, _ := slices.BinarySearchFunc(ps, v>>1, func(p, id uint32) int { return int(p>>1) - int(id) })
		x.postings[t] = slices.Insert(ps, i, v)
		x.dirtyTerms[t] = true
	}
	x.docs[ls.ID] = ls
	x.dirtyDocs[ls.ID/docChunk] = true
}

func (x *searchIndex) remove(ls *cms.LiveStory) {
	terms, _ := storyTerms(ls)
	for _, t := range terms {
		ps := x.postings[t]
		if i, ok := slices.BinarySearchFunc(ps, uint32(ls.ID), func(p, id uint32) int { return int(p>>1) - int(id) }); ok {
			x.postings[t] = slices.Delete(ps, i, i+1)
			x.dirtyTerms[t] = true
		}
	}
	delete(x.docs, ls.ID)
	x.dirtyDocs[ls.ID/docChunk] = true
}

// searchTerms splits text into index terms: CJK bigrams (a lone CJK
// character is a term by itself) and lower-cased runs of letters and digits.
// search.js has the same rules.
func searchTerms(text string) []string {
	var out []string
	var run []rune
	kind := 0 // 0 none, 1 CJK, 2 alphanumeric
	flush := func() {
		switch {
		case kind == 1 && len(run) == 1:
			out = append(out, string(run))
		case kind == 1:
			for i := 0; i+1 < len(run); i++ {
				out = append(out, string(run[i:i+2]))
			}
		case kind == 2:
			if len(run) > maxTermLen {
				run = run[:maxTermLen]
			}
			out = append(out, string(run))
		}
		run, kind = run[:0], 0
	}
	for _, r := range text {
		r = foldRune(r)
		k := 0
		switch {
		case isCJK(r):
			k = 1
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			k = 2
		}
		if k != kind {
			flush()
			kind = k
		}
		if k != 0 {
			run = append(run, r)
		}
	}
	flush()
	return out
}

// foldRune maps full-width ASCII to ASCII and upper to lower case.
func foldRune(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		r -= 0xFEE0
	}
	if r >= 'A' && r <= 'Z' {
		r += 'a' - 'A'
	}
	return r
}

func isCJK(r rune) bool {
	return r >= 0x3400 && r <= 0x9FFF || r >= 0xF900 && r <= 0xFAFF || r >= 0x20000 && r <= 0x2FA1F
}

// termHash is FNV-1a over the UTF-16 code units of the term.
func termHash(term string) uint32 {
	h := uint32(2166136261)
	for _, u := range utf16.Encode([]rune(term)) {
		h ^= uint32(u)
		h *= 16777619
	}
	return h
}

// posting is one story in a term's postings.
type posting struct {
	id    int64
	title bool // the term is in the story's title
}

func encodePostings(ps []posting) string {
	packed := make([]uint32, len(ps))
	for i, p := range ps {
		packed[i] = uint32(p.id) << 1
		if p.title {
			packed[i] |= 1
		}
	}
	return encodePacked(packed)
}

// encodePacked encodes postings packed as id<<1 | in title.
func encodePacked(ps []uint32) string {
	var b []byte
	var last uint32
	for _, p := range ps {
		id := p >> 1
		v := uint64(id-last)*2 + uint64(p&1)
		last = id
		var digits [14]byte
		n := 0
		for {
			digits[n] = byte(v & 31)
			n++
			v >>= 5
			if v == 0 {
				break
			}
		}
		for i := n - 1; i > 0; i-- {
			b = append(b, contDigits[digits[i]])
		}
		b = append(b, termDigits[digits[0]])
	}
	return string(b)
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s) // escapes <, > and & too: harmless
	b.Write(enc)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
