package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
)

// Secrets at rest — the WeChat app secret in the settings and the server
// keys of Secret — are sealed with AES-256-GCM under a key kept outside the
// database (HUIMIN_SECRET_KEY, given with WithKeys, or the key file in the
// data directory), so that a copy of the database alone (a dump, a backup,
// the file itself) does not reveal them. A sealed value reads
//
//	sealed:v1:<key id>:<base64 of nonce and ciphertext>
//
// The key id names the key that sealed it, so that a wrong key is reported
// as such instead of producing garbage, and values sealed with a previous
// key can still be read while they are sealed again with the current one.
// Each value is bound to its place (the additional data names column and
// row), so a sealed value copied elsewhere does not open.

const sealPrefix = "sealed:v1:"

// KeySize is the length of a secret key: AES-256.
const KeySize = 32

// keyring seals with its first key and opens with any of them.
type keyring struct {
	ids    []string // ids[0] seals
	aeads  map[string]cipher.AEAD
	source string // where the current key comes from, for messages
}

// newKeyring builds a keyring from current and previous keys (KeySize bytes
// each); source says where current comes from.
func newKeyring(source string, current []byte, previous ...[]byte) (*keyring, error) {
	k := &keyring{aeads: map[string]cipher.AEAD{}, source: source}
	for i, key := range append([][]byte{current}, previous...) {
		if len(key) != KeySize {
			if i == 0 {
				return nil, cms.Errorf(cms.EINVALID, "密钥（%s）长度为 %d 字节，应为 %d 字节", source, len(key), KeySize)
			}
			return nil, cms.Errorf(cms.EINVALID, "旧密钥长度为 %d 字节，应为 %d 字节", len(key), KeySize)
		}
		id := KeyID(key)
		if _, dup := k.aeads[id]; dup {
			continue
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		k.ids = append(k.ids, id)
		k.aeads[id] = aead
	}
	return k, nil
}

// KeyID is the fingerprint of key shown in messages: it names a key
// without revealing it.
func KeyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("huimin secret key id\x00"), key...))
	return hex.EncodeToString(sum[:4])
}

// ParseKey decodes a key given as base64 (standard or URL alphabet, padded
// or not), as HUIMIN_SECRET_KEY and the key file hold it; name says where it
// came from for the error.
func ParseKey(name, s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, cms.Errorf(cms.EINVALID, "%s 应为 %d 字节随机密钥的 base64 编码（例如 openssl rand -base64 32 的输出）", name, KeySize)
}

// NewKey returns a fresh random key.
func NewKey() []byte {
	b := make([]byte, KeySize)
	rand.Read(b) // never fails (crypto/rand)
	return b
}

// place is where a sealed value lives: the additional data it is bound to,
// and what to call it in messages.
type place struct {
	aad  string
	name string
}

var placeWechatSecret = place{"settings.wechat_secret:1", "微信公众号密钥（settings.wechat_secret）"}

func placeOfSecret(name string) place {
	return place{"secrets.value:" + name, "服务器密钥 " + name + "（secrets." + name + "）"}
}

// seal encrypts plain for p with the current key. The empty string stays
// empty: it means "not set", which the settings show.
func (k *keyring) seal(p place, plain string) string {
	if plain == "" {
		return ""
	}
	id := k.ids[0]
	aead := k.aeads[id]
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	ct := aead.Seal(nonce, nonce, []byte(plain), []byte(p.aad))
	return sealPrefix + id + ":" + base64.RawStdEncoding.EncodeToString(ct)
}

// open decrypts stored, a value of p. A value that is not sealed (written
// before secrets were sealed, not yet sealed again) is returned as it is.
// A value sealed with a key the keyring lacks, or altered, is an error that
// says so; it never yields garbage.
func (k *keyring) open(p place, stored string) (string, error) {
	id, ct, sealed, err := k.split(p, stored)
	if err != nil || !sealed {
		return stored, err
	}
	aead := k.aeads[id]
	if len(ct) < aead.NonceSize() {
		return "", k.damaged(p, id)
	}
	plain, err := aead.Open(nil, ct[:aead.NonceSize()], ct[aead.NonceSize():], []byte(p.aad))
	if err != nil {
		return "", k.damaged(p, id)
	}
	return string(plain), nil
}

// split takes a stored value apart; sealed is false for a plain value.
func (k *keyring) split(p place, stored string) (id string, ct []byte, sealed bool, err error) {
	rest, ok := strings.CutPrefix(stored, sealPrefix)
	if !ok {
		return "", nil, false, nil
	}
	id, enc, ok := strings.Cut(rest, ":")
	if !ok {
		return "", nil, true, k.damaged(p, "?")
	}
	if k.aeads[id] == nil {
		return id, nil, true, cms.Errorf(cms.EINTERNAL,
			"无法解密%s：它是用另一把密钥（指纹 %s）加密的，当前密钥（%s，指纹 %s）不能解密它。请提供加密它的那把密钥：设为 HUIMIN_SECRET_KEY，或放回数据目录的 %s；轮换密钥期间把旧密钥设为 HUIMIN_SECRET_KEY_PREVIOUS",
			p.name, id, k.source, k.ids[0], KeyFile)
	}
	ct, err = base64.RawStdEncoding.DecodeString(enc)
	if err != nil {
		return id, nil, true, k.damaged(p, id)
	}
	return id, ct, true, nil
}

func (k *keyring) damaged(p place, id string) error {
	return cms.Errorf(cms.EINTERNAL, "无法解密%s：密文已损坏或被改动（密钥指纹 %s）", p.name, id)
}

// current reports whether stored needs no sealing again: empty, or sealed
// with the current key.
func (k *keyring) current(stored string) bool {
	return stored == "" || strings.HasPrefix(stored, sealPrefix+k.ids[0]+":")
}

// reseal seals every secret that is plain (written before secrets were
// sealed) or sealed with a previous key again with the current key, and
// checks that every other one opens. It runs on every Open: this is both
// the migration of plain values and the second half of a key rotation. A
// value sealed with an unknown key fails it, naming the key. Each value is
// replaced only if it is still the one read, so processes starting at once
// do not undo each other's work.
func (db *DB) reseal(ctx context.Context) (n int, err error) {
	defer cms.Wrap(&err, "reseal")
	err = db.tx(ctx, func(tx *gorm.DB) error {
		n = 0
		// Every site's settings: the key is the platform's.
		all := tx.WithContext(cms.NewContextAllSites(tx.Statement.Context))
		var settings []settingsRow
		if err := all.Select("id", "wechat_secret").Find(&settings).Error; err != nil {
			return err
		}
		for _, s := range settings {
			next, changed, err := db.keys.again(placeWechatSecret, s.WechatSecret)
			if err != nil {
				return err
			}
			if !changed {
				continue
			}
			res := all.Model(&settingsRow{}).Where("id = ? AND wechat_secret = ?", s.ID, s.WechatSecret).
				Update("wechat_secret", next)
			if res.Error != nil {
				return res.Error
			}
			n += int(res.RowsAffected)
		}
		var secrets []secretRow
		if err := tx.Find(&secrets).Error; err != nil {
			return err
		}
		for _, s := range secrets {
			next, changed, err := db.keys.again(placeOfSecret(s.Name), s.Value)
			if err != nil {
				return err
			}
			if !changed {
				continue
			}
			res := tx.Model(&secretRow{}).Where("name = ? AND value = ?", s.Name, s.Value).Update("value", next)
			if res.Error != nil {
				return res.Error
			}
			n += int(res.RowsAffected)
		}
		if n == 0 {
			return nil
		}
		return db.audit(tx, systemActor, event{action: "secrets.reseal", object: "secrets",
			detail: fmt.Sprintf("用当前密钥（指纹 %s）重新加密了 %d 项机密", db.keys.ids[0], n)})
	})
	return n, err
}

// Resealed returns the id of the key that seals secrets and how many
// secrets Open sealed again with it.
func (db *DB) Resealed() (keyID string, n int) { return db.keys.ids[0], db.resealed }

// again returns stored sealed with the current key, and whether that
// differs from stored; it fails if stored does not open.
func (k *keyring) again(p place, stored string) (string, bool, error) {
	plain, err := k.open(p, stored)
	if err != nil {
		return "", false, err
	}
	if k.current(stored) {
		return stored, false, nil
	}
	return k.seal(p, plain), true, nil
}
