package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
)

type secretRow struct {
	Name  string `gorm:"primaryKey"`
	Value string
}

func (secretRow) TableName() string { return "secrets" }

// Secret returns the server key called name (32 random bytes), creating it
// on first use. Keys live in the database so every process on it shares
// them, sealed (seal.go); no API reads them.
func (db *DB) Secret(ctx context.Context, name string) (key []byte, err error) {
	defer cms.Wrap(&err, "Secret(%s)", name)
	var row secretRow
	err = db.tx(ctx, func(tx *gorm.DB) error {
		err := tx.Take(&row, "name = ?", name).Error
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		row = secretRow{Name: name, Value: db.keys.seal(placeOfSecret(name), base64.RawStdEncoding.EncodeToString(b))}
		return tx.Exec("INSERT INTO secrets (name, value, created_at) VALUES (?, ?, ?)", row.Name, row.Value, db.now()).Error
	})
	if err != nil {
		// Another process created it between our read and insert.
		if cms.ErrorCode(err) == cms.ECONFLICT {
			if err := db.read(ctx).Take(&row, "name = ?", name).Error; err != nil {
				return nil, err
			}
		} else {
			return nil, err
		}
	}
	plain, err := db.keys.open(placeOfSecret(name), row.Value)
	if err != nil {
		return nil, err
	}
	return base64.RawStdEncoding.DecodeString(plain)
}
