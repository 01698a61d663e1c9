package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

func TestUserService_Create(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if n, err := db.CountUsers(ctx); err != nil || n != 0 {
			t.Fatalf("CountUsers on a new database = %d, %v", n, err)
		}
		for _, tc := range []struct {
			name     string
			user     cms.User
			password string
			code     string
			field    string
		}{
			{"Admin", cms.User{Username: "Admin", Role: cms.RoleAdmin}, "correct horse", "", ""},
			{"Reviewer", cms.User{Username: "li", Name: "李审", Role: cms.RoleReviewer, Level: 2}, "correct horse", "", ""},
			{"ErrTakenCaseInsensitive", cms.User{Username: "ADMIN", Role: cms.RoleEditor}, "correct horse", cms.ECONFLICT, "username"},
			{"ErrShortPassword", cms.User{Username: "x", Role: cms.RoleEditor}, "short", cms.EINVALID, "password"},
			{"ErrLevel", cms.User{Username: "y", Role: cms.RoleReviewer, Level: 4}, "correct horse", cms.EINVALID, "level"},
			{"ErrRole", cms.User{Username: "z", Role: "boss"}, "correct horse", cms.EINVALID, "role"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				u := tc.user
				err := db.CreateUser(ctx, &u, tc.password)
				if tc.code != "" {
					wantCode(t, err, tc.code)
					wantField(t, err, tc.field)
					return
				}
				if err != nil || u.ID == 0 {
					t.Fatalf("CreateUser = %+v, %v", u, err)
				}
			})
		}
		if n, _ := db.CountUsers(ctx); n != 2 {
			t.Errorf("CountUsers = %d, want 2", n)
		}
	})
}

func TestUserService_Login(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := time.Now().UTC()
		var mu sync.Mutex
		store.SetNow(db, func() time.Time { mu.Lock(); defer mu.Unlock(); return clock })
		advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }

		admin := &cms.User{Username: "admin", Role: cms.RoleAdmin}
		ed := &cms.User{Username: "wang", Name: "小王", Role: cms.RoleEditor}
		for _, u := range []*cms.User{admin, ed} {
			if err := db.CreateUser(ctx, u, "s3cret-pass"); err != nil {
				t.Fatal(err)
			}
		}

		t.Run("ErrWrongPassword", func(t *testing.T) {
			_, _, err := db.Login(ctx, "wang", "nope-nope", time.Hour)
			wrong := wantCode(t, err, cms.EUNAUTHORIZED).Message
			_, _, err = db.Login(ctx, "nobody", "nope-nope", time.Hour)
			if unknown := wantCode(t, err, cms.EUNAUTHORIZED).Message; unknown != wrong {
				t.Errorf("unknown user says %q, wrong password %q: must not differ", unknown, wrong)
			}
		})

		t.Run("TokenLifecycle", func(t *testing.T) {
			token, u, err := db.Login(ctx, " WANG ", "s3cret-pass", time.Hour)
			if err != nil || u.ID != ed.ID || len(token) < 40 {
				t.Fatalf("Login = %q %+v %v", token, u, err)
			}
			got, err := db.Authenticate(ctx, token)
			if err != nil || got.ID != ed.ID || got.Name != "小王" {
				t.Fatalf("Authenticate = %+v, %v", got, err)
			}
			_, err = db.Authenticate(ctx, token+"x")
			wantCode(t, err, cms.EUNAUTHORIZED)
			if err := db.Logout(ctx, token); err != nil {
				t.Fatal(err)
			}
			_, err = db.Authenticate(ctx, token)
			wantCode(t, err, cms.EUNAUTHORIZED)
			if err := db.Logout(ctx, "never-issued"); err != nil {
				t.Errorf("Logout(unknown) = %v", err)
			}
		})

		t.Run("Expiry", func(t *testing.T) {
			token, _, err := db.Login(ctx, "wang", "s3cret-pass", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			advance(59 * time.Minute)
			if _, err := db.Authenticate(ctx, token); err != nil {
				t.Fatalf("before expiry: %v", err)
			}
			advance(2 * time.Minute)
			_, err = db.Authenticate(ctx, token)
			wantCode(t, err, cms.EUNAUTHORIZED)
		})

		t.Run("DisableRevokes", func(t *testing.T) {
			token, _, err := db.Login(ctx, "wang", "s3cret-pass", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			upd := *ed
			upd.Disabled = true
			if err := db.UpdateUser(cms.NewContextWithUser(ctx, admin), &upd, ""); err != nil {
				t.Fatal(err)
			}
			_, err = db.Authenticate(ctx, token)
			wantCode(t, err, cms.EUNAUTHORIZED)
			_, _, err = db.Login(ctx, "wang", "s3cret-pass", time.Hour)
			wantCode(t, err, cms.EUNAUTHORIZED)
			upd.Disabled = false
			if err := db.UpdateUser(cms.NewContextWithUser(ctx, admin), &upd, "new-password"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := db.Login(ctx, "wang", "new-password", time.Hour); err != nil {
				t.Errorf("login with the new password: %v", err)
			}
		})

		t.Run("StaleVersion", func(t *testing.T) {
			cur, err := db.FindUserByID(ctx, ed.ID)
			if err != nil {
				t.Fatal(err)
			}
			first, second := *cur, *cur
			first.Name = "王小明"
			if err := db.UpdateUser(cms.NewContextWithUser(ctx, admin), &first, ""); err != nil {
				t.Fatal(err)
			}
			second.Role, second.Level = cms.RoleReviewer, 1
			err = db.UpdateUser(cms.NewContextWithUser(ctx, admin), &second, "")
			var ce *cms.Error
			if !errors.As(err, &ce) || ce.Code != cms.ECONFLICT || ce.Current.(*cms.User).Name != "王小明" {
				t.Fatalf("an edit based on an old version = %v, want a conflict carrying the current user", err)
			}
		})

		t.Run("ErrLastAdmin", func(t *testing.T) {
			upd := *admin
			upd.Role = cms.RoleEditor
			wantCode(t, db.UpdateUser(cms.NewContextWithUser(ctx, admin), &upd, ""), cms.ECONFLICT)
			upd = cms.User{ID: 424242, Role: cms.RoleEditor}
			wantCode(t, db.UpdateUser(ctx, &upd, ""), cms.ENOTFOUND)
		})
	})
}
