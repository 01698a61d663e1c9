package media

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"sync"

	"github.com/huimin/huimin/cms"
)

// siteSlug is cms.Site's slug rule.
var siteSlug = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// SiteStorage keeps each site's media files apart (issue 15): the default
// site's where an installation of one site always kept them, any other
// site's in a Storage of its own (below sites/<slug>/ in the data
// directory or the bucket). Which one a call uses is the site its context
// acts in, so a site's upload, crop, deletion or public /media/ request
// never reads or changes another site's files, and the same picture on two
// sites is two copies.
type SiteStorage struct {
	root    Storage
	forSite func(slug string) Storage
	slugOf  func(ctx context.Context, id int64) (string, error)

	mu     sync.Mutex
	bySite map[int64]Storage // a site's slug never changes, so neither does its Storage
}

var _ Storage = (*SiteStorage)(nil)

// NewSiteStorage returns the Storage that gives the default site root and
// site N forSite(its slug); slugOf looks a site's slug up.
func NewSiteStorage(root Storage, forSite func(slug string) Storage, slugOf func(ctx context.Context, id int64) (string, error)) *SiteStorage {
	return &SiteStorage{root: root, forSite: forSite, slugOf: slugOf, bySite: map[int64]Storage{}}
}

// For returns the Storage of the site ctx acts in. An unknown site is an
// error, never the default site's files.
func (s *SiteStorage) For(ctx context.Context) (Storage, error) {
	id := cms.SiteIDFromContext(ctx)
	if id == cms.DefaultSiteID {
		return s.root, nil
	}
	s.mu.Lock()
	st, ok := s.bySite[id]
	s.mu.Unlock()
	if ok {
		return st, nil
	}
	slug, err := s.slugOf(cms.NewContextAllSites(ctx), id)
	if err != nil {
		return nil, fmt.Errorf("media storage of site %d: %w", id, err)
	}
	if !siteSlug.MatchString(slug) { // it names a directory
		return nil, fmt.Errorf("media storage of site %d: slug %q is not a valid site slug", id, slug)
	}
	st = s.forSite(slug)
	s.mu.Lock()
	s.bySite[id] = st
	s.mu.Unlock()
	return st, nil
}

// Put implements Storage.
func (s *SiteStorage) Put(ctx context.Context, key string, data []byte) error {
	st, err := s.For(ctx)
	if err != nil {
		return err
	}
	return st.Put(ctx, key, data)
}

// Open implements Storage.
func (s *SiteStorage) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	st, err := s.For(ctx)
	if err != nil {
		return nil, err
	}
	return st.Open(ctx, key)
}

// Delete implements Storage.
func (s *SiteStorage) Delete(ctx context.Context, key string) error {
	st, err := s.For(ctx)
	if err != nil {
		return err
	}
	return st.Delete(ctx, key)
}

// Exists implements Storage.
func (s *SiteStorage) Exists(ctx context.Context, key string) (bool, error) {
	st, err := s.For(ctx)
	if err != nil {
		return false, err
	}
	return st.Exists(ctx, key)
}

// MoveSharedFiles gives every site other than the default one its own copy
// of the media files the release before per-site media kept for it at the
// shared root, and then removes from the root those the default site has
// no item for (else the default site's host would keep serving another
// site's pictures to anyone who knows their hash).
//
// Copying once, at start-up, rather than falling back to the root on every
// read that misses keeps the rest simple: after it, a site's files are in
// its own place only, so serving, the link check, crops and deletion never
// need to know an older layout existed, and no read has to ask the library
// whether a root file belongs to the site asking. It is idempotent and safe
// to interrupt: an item's variants are copied before its original, so an
// original in the site's place means the item is complete there (it is
// then skipped), and root files are removed only after every site's copies
// succeeded. It returns how many items were copied.
func (s *SiteStorage) MoveSharedFiles(ctx context.Context, sites []*cms.Site, library cms.MediaService) (moved int, err error) {
	defer cms.Wrap(&err, "MoveSharedFiles")
	var hashes []string // of items other sites have; their root files may go
	for _, site := range sites {
		if site.ID == cms.DefaultSiteID {
			continue
		}
		sctx := cms.NewContextWithSite(ctx, site.ID)
		dst, err := s.For(sctx)
		if err != nil {
			return moved, err
		}
		for p := (cms.Page{Page: 1, PerPage: cms.MaxPerPage}); ; p.Page++ {
			items, total, err := library.FindMedia(sctx, p)
			if err != nil {
				return moved, err
			}
			for _, m := range items {
				hashes = append(hashes, m.Hash)
				ok, err := dst.Exists(sctx, OriginalKey(m.Hash))
				if err != nil {
					return moved, err
				}
				if ok {
					continue
				}
				copied, err := copyItem(sctx, s.root, dst, m.Hash)
				if err != nil {
					return moved, fmt.Errorf("site %s, media %d: %w", site.Slug, m.ID, err)
				}
				if copied {
					moved++
				}
			}
			if len(items) == 0 || p.Offset()+len(items) >= total {
				break
			}
		}
	}
	def := cms.NewContextWithSite(ctx, cms.DefaultSiteID)
	for _, h := range hashes {
		_, err := library.FindMediaByHash(def, h)
		if err == nil {
			continue // the default site's own picture too
		} else if cms.ErrorCode(err) != cms.ENOTFOUND {
			return moved, err
		}
		for _, k := range itemKeys(h) {
			if err := s.root.Delete(def, k); err != nil {
				return moved, err
			}
		}
	}
	return moved, nil
}

// copyItem copies hash's variants, then its original, from src to dst;
// false when src has no original (nothing to copy).
func copyItem(ctx context.Context, src, dst Storage, hash string) (bool, error) {
	keys := itemKeys(hash) // original first
	if ok, err := src.Exists(ctx, keys[0]); err != nil || !ok {
		return false, err
	}
	for i := len(keys) - 1; i >= 0; i-- {
		rc, err := src.Open(ctx, keys[i])
		if cms.ErrorCode(err) == cms.ENOTFOUND {
			continue // a variant the picture was too small for, or never rendered
		} else if err != nil {
			return false, err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return false, err
		}
		if err := dst.Put(ctx, keys[i], data); err != nil {
			return false, err
		}
	}
	return true, nil
}

// itemKeys are every key a media item may have: its original, then a
// variant of every allow-listed spec.
func itemKeys(hash string) []string {
	keys := []string{OriginalKey(hash)}
	for _, sp := range specs {
		keys = append(keys, VariantKey(hash, sp.Name))
	}
	return keys
}
