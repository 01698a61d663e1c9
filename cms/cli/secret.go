package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/huimin/huimin/cms/store"
)

// The secrets in the database (the WeChat app secret, the preview signing
// key) are sealed with a key kept outside it: HUIMIN_SECRET_KEY, or else the
// key file secret.key in the data directory. Keys are never taken from the
// command line, where the process list would show them.
const (
	envSecretKey         = "HUIMIN_SECRET_KEY"
	envSecretKeyPrevious = "HUIMIN_SECRET_KEY_PREVIOUS"
)

// secretKeys returns the store options for the keys in the environment:
// none when HUIMIN_SECRET_KEY is unset (the store then uses its key file).
func secretKeys(getenv func(string) string) ([]store.Option, error) {
	cur, prev := strings.TrimSpace(getenv(envSecretKey)), strings.TrimSpace(getenv(envSecretKeyPrevious))
	if cur == "" {
		if prev != "" {
			return nil, fmt.Errorf("设置了 %s 却没有设置 %s：旧密钥只在轮换时与新密钥一起使用", envSecretKeyPrevious, envSecretKey)
		}
		return nil, nil
	}
	key, err := store.ParseKey(envSecretKey, cur)
	if err != nil {
		return nil, err
	}
	k := store.Keys{Source: envSecretKey, Current: key}
	if prev != "" {
		p, err := store.ParseKey(envSecretKeyPrevious, prev)
		if err != nil {
			return nil, err
		}
		k.Previous = [][]byte{p}
	}
	return []store.Option{store.WithKeys(k)}, nil
}

const secretUsage = `用法：huimin secret rotate [--data DIR] [--db DSN]

用新密钥重新加密数据库中的机密（微信公众号密钥、预览签名密钥）。运行前先停止使用该数据库的所有 huimin 进程。
  未设置 HUIMIN_SECRET_KEY 时：生成新密钥写入数据目录的 secret.key，旧密钥留在 secret.key.previous（供读取轮换前的备份）。
  设置了 HUIMIN_SECRET_KEY 时：把新密钥设为 HUIMIN_SECRET_KEY、旧密钥设为 HUIMIN_SECRET_KEY_PREVIOUS 再运行；完成后删除 HUIMIN_SECRET_KEY_PREVIOUS。
`

// runSecret is "huimin secret rotate".
func (c *command) runSecret(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "rotate" {
		return c.badUsage(secretUsage, "expected 'secret rotate'")
	}
	fs := c.flags("secret rotate")
	fs.Usage = func() { fmt.Fprint(fs.Output(), secretUsage) }
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	log := c.logger()
	data, err := filepath.Abs(c.data)
	if err != nil {
		return err
	}
	if _, err := os.Stat(data); err != nil {
		return fmt.Errorf("数据目录 %s 不可用：%w", data, err)
	}
	opts, err := secretKeys(c.getenv)
	if err != nil {
		return err
	}
	if opts == nil {
		r, err := store.RotateKeyFile(ctx, c.db, data, log)
		if err != nil {
			return fmt.Errorf("rotate the key file: %w", err)
		}
		fmt.Fprintf(c.stdout, "已生成新密钥（指纹 %s，替换 %s），用它重新加密了 %d 项机密。\n旧密钥保存在 %s，只用于读取轮换前的备份，请与这些备份一同保管；不再需要时可删除。\n",
			r.New, r.Old, r.Resealed, r.Previous)
		return nil
	}
	if strings.TrimSpace(c.getenv(envSecretKeyPrevious)) == "" {
		return fmt.Errorf("密钥由环境变量 %s 提供：请生成新密钥（openssl rand -base64 32），把它设为 %s、把旧密钥设为 %s，再运行 huimin secret rotate；完成后删除 %s",
			envSecretKey, envSecretKey, envSecretKeyPrevious, envSecretKeyPrevious)
	}
	db, err := store.Open(ctx, c.db, data, log, opts...)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	id, n := db.Resealed()
	if err := db.Close(); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "已用 %s（指纹 %s）重新加密了 %d 项机密。确认所有 huimin 进程都已改用新密钥后，删除 %s。\n",
		envSecretKey, id, n, envSecretKeyPrevious)
	return nil
}
