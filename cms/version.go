package cms

// Versioned is a record that carries an optimistic-locking version. A
// conflict error's Current holds the record as it is now, and the HTTP
// layer reads its version through this interface, whatever its type.
type Versioned interface {
	CurrentVersion() int
}

// CurrentVersion returns the story's version.
func (s *Story) CurrentVersion() int { return s.Version }

// CurrentVersion returns the project's version.
func (p *Project) CurrentVersion() int { return p.Version }

// CurrentVersion returns the settings' version.
func (s *Settings) CurrentVersion() int { return s.Version }

// CurrentVersion returns the media item's version.
func (m *Media) CurrentVersion() int { return m.Version }

// CurrentVersion returns the brand's version.
func (b *Brand) CurrentVersion() int { return b.Version }

// CurrentVersion returns the user's version.
func (u *User) CurrentVersion() int { return u.Version }

// CurrentVersion returns the term's version.
func (t *DictionaryTerm) CurrentVersion() int { return t.Version }

// CurrentVersion returns the page's version.
func (p *StandingPage) CurrentVersion() int { return p.Version }

// CurrentVersion returns the site's version.
func (s *Site) CurrentVersion() int { return s.Version }
