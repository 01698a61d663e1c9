package store

import "time"

// SetNow replaces the store's clock, for tests of expiry and scheduling.
func SetNow(db *DB, now func() time.Time) { db.now = now }
