package main

// What this program checks before it believes a message, as docs/clients.md asks of every client:
// resetd's signature (a forged reset.completed is an account takeover), and then that the message
// is where it belongs, which a signature over the body alone cannot say.

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// unnamedEventsKept is the events stream's default age: an event without resetdprefix (from a
// resetd older than the prefix) may wait in the stream that long, and one older was kept by someone.
const unnamedEventsKept = 7 * 24 * time.Hour

// trust holds resetd's public keys by kid and the deployment's subject prefix. Without keys no
// signature is checked (development, where resetd makes a key at each start); the rest still is.
type trust struct {
	keys   map[string]ed25519.PublicKey
	prefix string
}

// readKeys reads the public key files `resetd keygen` writes (PEM, SPKI), comma-separated: two
// while the signing key is rotated.
func readKeys(files string) (map[string]ed25519.PublicKey, error) {
	keys := map[string]ed25519.PublicKey{}
	for _, file := range strings.Split(files, ",") {
		if file == "" {
			continue
		}
		text, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		block, _ := pem.Decode(text)
		if block == nil {
			return nil, fmt.Errorf("%s holds no PEM key", file)
		}
		parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		key, ok := parsed.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%s is not an Ed25519 public key", file)
		}
		keys[kidOf(key)] = key
	}
	return keys, nil
}

// kidOf is the key's RFC 7638 thumbprint, which resetd names in the signature's kid.
func kidOf(key ed25519.PublicKey) string {
	sum := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(key) + `"}`))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// signed checks the message's Resetd-Signature, when keys are held.
func (t trust) signed(m *nats.Msg) error {
	if len(t.keys) == 0 {
		return nil
	}
	_, err := verifyResetd(m.Data, m.Header.Get("Resetd-Signature"), t.keys)
	return err
}

// event checks an outcome event: signed, of this deployment, on the subject of its type (so a
// reset.code.sent re-published on another subject, or another deployment's event, is refused).
func (t trust) event(m *nats.Msg, e *envelope) error {
	if err := t.signed(m); err != nil {
		return err
	}
	if e.ResetdPrefix == "" {
		if published, err := time.Parse(time.RFC3339Nano, e.Time); err != nil || time.Since(published) > unnamedEventsKept {
			return errors.New("the event names no deployment and is older than the events stream keeps one")
		}
	} else if e.ResetdPrefix != t.prefix {
		return fmt.Errorf("the event is of the deployment %q, not %s", e.ResetdPrefix, t.prefix)
	}
	if m.Subject != t.prefix+strings.TrimPrefix(e.Type, "reset") {
		return fmt.Errorf("an event of type %q does not belong on %s", e.Type, m.Subject)
	}
	return nil
}

// verifyCode asks reset.verify and returns the first reply that is resetd's answer to this very
// request: signed, naming the reset, echoing the nonce and giving the SHA-256 of the request's
// bytes (which resetd gives because the request carries a salt). Anyone who reads the request
// can answer it, or send resetd another with its nonce: such replies are passed over, as is a
// "no responders" status, which anyone can send too.
func (t trust) verifyCode(nc *nats.Conn, resetID, code string, timeout time.Duration) (*verifyReply, error) {
	nonce := randomToken()
	request, err := json.Marshal(map[string]string{"resetId": resetID, "code": code, "nonce": nonce, "salt": randomToken()})
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(request)
	inbox := nats.NewInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()
	if err := nc.PublishRequest(t.prefix+".verify", inbox, request); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	noResponders := false
	for {
		m, err := sub.NextMsg(time.Until(deadline))
		// A "no responders" status is only a hint, as anyone who reads the request can send one:
		// a second more for resetd's reply.
		if errors.Is(err, nats.ErrNoResponders) {
			if !noResponders && time.Until(deadline) > time.Second {
				deadline = time.Now().Add(time.Second)
			}
			noResponders = true
			continue
		}
		if err != nil && noResponders {
			return nil, errors.New("no resetd instance answers reset.verify (no responders): retry later")
		}
		if err != nil {
			return nil, fmt.Errorf("no reply resetd signed for this request within %s: %w", timeout, err)
		}
		var reply verifyReply
		if t.signed(m) != nil || json.Unmarshal(m.Data, &reply) != nil {
			continue
		}
		if reply.ResetID == resetID && reply.Nonce == nonce && reply.RequestDigest == base64.RawURLEncoding.EncodeToString(digest[:]) {
			return &reply, nil
		}
	}
}

// randomToken is 16 random bytes in base64url: a nonce or a salt, never repeated.
func randomToken() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// verifyResetd checks a Resetd-Signature header over the body exactly as received;
// keys maps kid to resetd's public key(s). It returns the kid that verified.
func verifyResetd(body []byte, header string, keys map[string]ed25519.PublicKey) (string, error) {
	parts := strings.Split(header, ".")
	if len(parts) != 3 || parts[1] != "" {
		return "", errors.New("not a compact JWS with a detached payload")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return "", err
	}
	var h struct {
		Alg  string   `json:"alg"`
		Kid  string   `json:"kid"`
		B64  *bool    `json:"b64"`
		Crit []string `json:"crit"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return "", err
	}
	if h.Alg != "EdDSA" || h.B64 == nil || *h.B64 || len(h.Crit) != 1 || h.Crit[0] != "b64" {
		return "", errors.New("unexpected protected header")
	}
	key, ok := keys[h.Kid]
	if !ok {
		return "", fmt.Errorf("no key with kid %s", h.Kid)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "", err
	}
	// RFC 7797: the signing input is ASCII(BASE64URL(protected)) || '.' || the raw body.
	input := append([]byte(parts[0]+"."), body...)
	if !ed25519.Verify(key, input, sig) {
		return "", errors.New("signature does not match the body")
	}
	return h.Kid, nil
}
