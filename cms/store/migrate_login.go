package store

import "gorm.io/gorm"

// migrateLoginLimits adds the login limits replicas share (login.go): one
// client's failures for one username (login_failures) and each username's
// failures from every client (login_names). Times are unix milliseconds.
func migrateLoginLimits(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&v8LoginFailure{}, &v8LoginName{})
}

// v8LoginFailure is keyed by name first, so that an unlock deletes a range
// of the primary key.
type v8LoginFailure struct {
	Name      string `gorm:"primaryKey;size:100"`
	Client    string `gorm:"primaryKey;size:64"`
	Fails     int    `gorm:"not null;default:0"`
	LastAt    int64  `gorm:"not null;default:0;index:ix_login_failures_last"`
	WaitUntil int64  `gorm:"not null;default:0"`
}

func (v8LoginFailure) TableName() string { return "login_failures" }

type v8LoginName struct {
	Name      string `gorm:"primaryKey;size:100"`
	FullAt    int64  `gorm:"not null;default:0;index:ix_login_names_full"`
	Throttled bool   `gorm:"not null;default:false"`
}

func (v8LoginName) TableName() string { return "login_names" }
