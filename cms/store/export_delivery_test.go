package store

import "gorm.io/gorm"

// ReindexSearch empties story_search and fills it from the live stories,
// as the migration that creates it does on an existing database.
func ReindexSearch(db *DB) error {
	return db.w.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("DELETE FROM story_search").Error; err != nil {
			return err
		}
		return indexLiveStories(tx)
	})
}
