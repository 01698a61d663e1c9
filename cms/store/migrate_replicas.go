package store

import "gorm.io/gorm"

// migrateReplicas adds what several replicas on one database need: the
// stories a queued build must read again and the replica that ran it
// (builds), and the leases that elect the one builder (leases).
func migrateReplicas(tx *gorm.DB) error {
	for _, col := range []string{"HintStories", "Builder"} {
		if err := tx.Migrator().AddColumn(&v7Build{}, col); err != nil {
			return err
		}
	}
	return tx.Migrator().CreateTable(&v7Lease{})
}

type v7Build struct {
	HintStories string `gorm:"type:text"`
	Builder     string `gorm:"size:200;not null;default:''"`
}

func (v7Build) TableName() string { return "builds" }

type v7Lease struct {
	Name    string `gorm:"primaryKey;size:100"`
	Holder  string `gorm:"size:200;not null;default:''"`
	Token   int64  `gorm:"not null;default:0"`
	Expires int64  `gorm:"not null;default:0"` // unix milliseconds, database clock
}

func (v7Lease) TableName() string { return "leases" }
