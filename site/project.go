package site

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// projectEntries are the top-level entries of Config.Source that make up the
// Hugo project. content/ is left out on purpose: the sample content is for
// theme developers and must never reach the public site. So is data/, which
// is Huimin's default data directory when run from the repository root.
var projectEntries = []string{
	"hugo.toml", "hugo.yaml", "hugo.json", "config.toml", "config.yaml", "config.json",
	"themes", "assets", "layouts", "static", "i18n", "archetypes",
}

// configNames are the project config files Hugo looks for, in its order.
var configNames = []string{"hugo.toml", "hugo.yaml", "hugo.json", "config.toml", "config.yaml", "config.json"}

// walkProject calls fn for every regular file of the project in fsys, in
// lexical order.
func walkProject(fsys fs.FS, fn func(name string) error) error {
	for _, top := range projectEntries {
		err := fs.WalkDir(fsys, top, func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				return fn(name)
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// hashProject returns a short content hash of the project in fsys; it names
// the directory the project is extracted to, so two binaries with different
// themes sharing a data directory never overwrite each other's project.
func hashProject(fsys fs.FS) (string, error) {
	h := sha256.New()
	n := 0
	err := walkProject(fsys, func(name string) error {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
		h.Write(b)
		n++
		return nil
	})
	if err != nil {
		return "", err
	}
	if n == 0 {
		return "", errors.New("no Hugo project files (config.toml, themes/) found")
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// projectDir is the Hugo project directory, whether or not it exists yet.
func (s *Site) projectDir() (string, error) {
	if s.cfg.SourceDir != "" {
		return s.cfg.SourceDir, nil
	}
	return s.path("project", s.sourceHash), nil
}

// project returns the Hugo project directory, extracting Config.Source
// first if needed. Callers hold the build lock.
func (s *Site) project() (string, error) {
	dir, _ := s.projectDir()
	if s.cfg.SourceDir != "" {
		return dir, nil
	}
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	parent := s.path("project")
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(parent, ".extract-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // a no-op after the rename
	err = walkProject(s.cfg.Source, func(name string) error {
		return extract(s.cfg.Source, name, filepath.Join(tmp, filepath.FromSlash(name)))
	})
	if err != nil {
		return "", fmt.Errorf("extracting the Hugo project: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", fmt.Errorf("extracting the Hugo project: %w", err)
	}
	// Projects of other versions are unused now: builds hold the lock.
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		if e.Name() != s.sourceHash {
			os.RemoveAll(filepath.Join(parent, e.Name()))
		}
	}
	return dir, nil
}

func extract(fsys fs.FS, name, dst string) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return writeNewFile(dst, b)
}

// projectConfig returns the project's config file.
func projectConfig(proj string) (string, error) {
	for _, n := range configNames {
		p := filepath.Join(proj, n)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Hugo config file (%s) in %s", strings.Join(configNames, ", "), proj)
}
