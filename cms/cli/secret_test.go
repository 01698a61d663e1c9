package cli_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/cli"
	"github.com/huimin/huimin/cms/cli/clitest"
	"github.com/huimin/huimin/cms/store"
)

// TestSecretRotate covers issue 12 item 12's rotation: `huimin secret
// rotate` replaces the key file and the secrets stay readable; with the key
// in HUIMIN_SECRET_KEY the new one is given with the old as previous; a key
// that is malformed, or not the one that sealed the secrets, stops the
// command with a message saying so.
func TestSecretRotate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	data := t.TempDir()
	wechat := "wx-app-secret-5d1e9b7c"
	wechatSecret := wechat
	db, err := store.Open(ctx, "", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := db.FindSettings(ctx)
	if _, err := db.UpdateSettings(ctx, cms.SettingsUpdate{Version: s.Version, WechatSecret: &wechatSecret}); err != nil {
		t.Fatal(err)
	}
	preview, err := db.Secret(ctx, "preview")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	run := func(env map[string]string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := cli.Run(ctx, args, func(k string) string { return env[k] }, strings.NewReader("long-enough-password\n"), &out, &errOut, clitest.Project(t))
		return out.String() + errOut.String(), err
	}
	check := func(opts ...store.Option) {
		t.Helper()
		db, err := store.Open(ctx, "", data, nil, opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if s, err := db.FindSettings(ctx); err != nil || s.WechatSecret != wechat {
			t.Errorf("WeChat secret = %q, %v", s.WechatSecret, err)
		}
		if k, err := db.Secret(ctx, "preview"); err != nil || !bytes.Equal(k, preview) {
			t.Errorf("preview key = %x, %v", k, err)
		}
	}

	keyFile := filepath.Join(data, store.KeyFile)
	before, _ := os.ReadFile(keyFile)
	out, err := run(nil, "secret", "rotate", "--data", data)
	if err != nil || !strings.Contains(out, "2 项机密") {
		t.Fatalf("secret rotate: %v\n%s", err, out)
	}
	after, _ := os.ReadFile(keyFile)
	if bytes.Equal(before, after) {
		t.Fatal("the key file did not change")
	}
	check()

	// To a key in the environment.
	fileKey, err := store.ParseKey("secret.key", string(after))
	if err != nil {
		t.Fatal(err)
	}
	envKey := base64.StdEncoding.EncodeToString(store.NewKey())
	env := map[string]string{"HUIMIN_SECRET_KEY": envKey}
	if out, err := run(env, "secret", "rotate", "--data", data); err == nil || !strings.Contains(err.Error(), "HUIMIN_SECRET_KEY_PREVIOUS") {
		t.Errorf("rotate with no previous key: %v\n%s", err, out)
	}
	env["HUIMIN_SECRET_KEY_PREVIOUS"] = base64.StdEncoding.EncodeToString(fileKey)
	if out, err := run(env, "secret", "rotate", "--data", data); err != nil || !strings.Contains(out, "2 项机密") {
		t.Fatalf("rotate to the environment key: %v\n%s", err, out)
	}
	k, _ := store.ParseKey("HUIMIN_SECRET_KEY", envKey)
	check(store.WithKeys(store.Keys{Source: "HUIMIN_SECRET_KEY", Current: k}))

	// The key file no longer opens them: every command says which key is missing.
	user := []string{"user", "create", "--data", data, "--name", "chushen", "--role", "reviewer", "--level", "1", "--password-stdin"}
	if out, err := run(nil, user...); err == nil || !strings.Contains(err.Error(), store.KeyID(k)) {
		t.Errorf("wrong key: %v\n%s", err, out)
	}
	for _, bad := range []map[string]string{
		{"HUIMIN_SECRET_KEY": "c2hvcnQ="},
		{"HUIMIN_SECRET_KEY": envKey, "HUIMIN_SECRET_KEY_PREVIOUS": "not base64!"},
		{"HUIMIN_SECRET_KEY_PREVIOUS": envKey},
	} {
		_, err := run(bad, user...)
		name := "HUIMIN_SECRET_KEY"
		if bad["HUIMIN_SECRET_KEY_PREVIOUS"] != "" {
			name = "HUIMIN_SECRET_KEY_PREVIOUS"
		}
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("env %v: %v, want an error naming %s", bad, err, name)
		}
	}
	if out, err := run(map[string]string{"HUIMIN_SECRET_KEY": envKey}, user...); err != nil {
		t.Errorf("user create with the right key: %v\n%s", err, out)
	}
}
