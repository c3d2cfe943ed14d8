// One password reset driven from Go, through NATS only, as docs/clients.md describes: publish
// reset.requested with JetStream, read the outcomes with a durable pull consumer of your own on
// the events stream, ask reset.verify by request-reply, and believe only what resetd signed
// (trust.go). The code is read from standard input (the user types what the mail says).
//
// Uses nats.go's JetStream API of v1.22 (Debian 12's golang-github-nats-io-go-nats-dev), which
// later v1 releases still provide.
package main

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// envelope is the part of a CloudEvent this program reads. encoding/json ignores fields it does
// not know, as the contract asks of every consumer: within v1 fields may be added at any time.
type envelope struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	Time         string `json:"time"`
	ResetdPrefix string `json:"resetdprefix"`
	Data         struct {
		ResetID           string `json:"resetId"`
		EventID           string `json:"eventId"`
		ExpiresAt         string `json:"expiresAt"`
		CompletedAt       string `json:"completedAt"`
		Reason            string `json:"reason"`
		Detail            string `json:"detail"`
		AttemptsRemaining *int   `json:"attemptsRemaining"`
	} `json:"data"`
}

type verifyReply struct {
	ResetID           string `json:"resetId"`
	Status            string `json:"status"`
	AttemptsRemaining *int   `json:"attemptsRemaining"`
	Nonce             string `json:"nonce"`
	RequestDigest     string `json:"requestDigest"`
}

func main() {
	user := flag.String("user", "u-42", "the user's id in your auth service")
	email := flag.String("email", "ada@example.com", "where the code is mailed")
	durable := flag.String("durable", "go-example", "the durable consumer of your service on the events stream")
	verifyKeys := flag.String("verify-key", "", "resetd's public key file(s) from `resetd keygen` (PEM), comma-separated while rotating")
	flag.Parse()
	keys, err := readKeys(*verifyKeys)
	if err != nil {
		fmt.Fprintln(os.Stderr, "resetd-go-example: -verify-key:", err)
		os.Exit(2)
	}
	if len(keys) == 0 {
		fmt.Fprintln(os.Stderr, "resetd-go-example: WARNING: no -verify-key, so no signature is checked: anyone on the bus could complete this reset")
	}
	if err := run(*user, *email, *durable, keys); err != nil {
		fmt.Fprintln(os.Stderr, "resetd-go-example:", err)
		os.Exit(1)
	}
}

func run(user, email, durable string, keys map[string]ed25519.PublicKey) error {
	prefix := envOr("RESET_SUBJECT_PREFIX", "reset")
	trusted := trust{keys: keys, prefix: prefix}
	nc, err := nats.Connect(envOr("NATS_URL", nats.DefaultURL))
	if err != nil {
		return fmt.Errorf("connect to NATS: %w", err)
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		return err
	}

	// The consumer comes first, so that it sees the outcome of the request published below.
	// DeliverNew: a new durable starts at the end of the stream; with DeliverAll it would replay
	// the 7 days of events the stream keeps. An existing durable resumes where its acks left off.
	sub, err := js.PullSubscribe("", durable, nats.BindStream(streamOf(prefix, "EVENTS")), nats.DeliverNew(), nats.AckExplicit())
	if err != nil {
		return fmt.Errorf("consumer %s: %w", durable, err)
	}

	resetID := newUUID()
	event := map[string]any{
		"specversion": "1.0", "id": resetID, "source": "urn:example:go", "type": "reset.requested",
		"time": time.Now().UTC().Format(time.RFC3339Nano), "datacontenttype": "application/json",
		"data": map[string]string{"userId": user, "email": email},
	}
	body, _ := json.Marshal(event)
	// Nats-Msg-Id is the event's id: a publish retried after a timeout is dropped as a duplicate
	// within the inbox's 2-minute window, and past it the id alone still gets one outcome.
	if _, err := js.Publish(prefix+".requested", body, nats.MsgId(resetID)); err != nil {
		return fmt.Errorf("publish reset.requested: %w", err)
	}
	fmt.Println("requested", resetID)

	sent, err := awaitOutcome(sub, trusted, resetID, "reset.code.sent")
	if err != nil {
		return err
	}
	fmt.Printf("reset.code.sent %s expiresAt=%s\n", resetID, sent.Data.ExpiresAt)

	fmt.Fprint(os.Stderr, "the code from the mail: ")
	code, err := bufio.NewReader(os.Stdin).ReadString('\n')
	// A last line without its newline is still a code.
	if err != nil && code == "" {
		return fmt.Errorf("read the code: %w", err)
	}
	// reset.verify takes the data of reset.code.submitted as plain JSON, without an envelope.
	reply, err := trusted.verifyCode(nc, resetID, strings.TrimSpace(code), 5*time.Second)
	if err != nil {
		return fmt.Errorf("reset.verify: %w", err)
	}
	fmt.Printf("verify: %s attemptsRemaining=%s\n", reply.Status, orNone(reply.AttemptsRemaining))
	if reply.Status != "completed" {
		return fmt.Errorf("the code was not accepted: %s", reply.Status)
	}

	completed, err := awaitOutcome(sub, trusted, resetID, "reset.completed")
	if err != nil {
		return err
	}
	fmt.Printf("reset.completed %s completedAt=%s\n", resetID, completed.Data.CompletedAt)
	return nil
}

// awaitOutcome reads the events stream until an event of type want arrives for resetID, and
// fails on an outcome that ends the reset another way. Every event is acknowledged once handled,
// including those of other resets and types this program does not know; one that does not pass
// trust's checks is dropped and said on stderr, never believed.
func awaitOutcome(sub *nats.Subscription, trusted trust, resetID, want string) (*envelope, error) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		msgs, err := sub.Fetch(10, nats.MaxWait(2*time.Second))
		if err != nil && !errors.Is(err, nats.ErrTimeout) {
			return nil, fmt.Errorf("fetch events: %w", err)
		}
		for _, m := range msgs {
			var event envelope
			if err := json.Unmarshal(m.Data, &event); err != nil {
				// Not an event this program can read: acknowledged, so it is not redelivered forever.
				_ = m.Ack()
				continue
			}
			if err := m.Ack(); err != nil {
				return nil, fmt.Errorf("ack %s: %w", event.ID, err)
			}
			if err := trusted.event(m, &event); err != nil {
				fmt.Fprintf(os.Stderr, "resetd-go-example: dropped event %s on %s: %v\n", event.ID, m.Subject, err)
				continue
			}
			if event.Data.ResetID != resetID {
				continue
			}
			switch {
			case event.Type == want:
				return &event, nil
			// A rejection ends the reset only when it rejects the request itself: a rejected
			// submission (a mistyped code, from anyone who knows the id) names the reset too.
			case event.Type == "reset.rejected" && event.Data.EventID == resetID, event.Type == "reset.delivery.failed":
				return nil, fmt.Errorf("%s: %s %s", event.Type, event.Data.Reason, event.Data.Detail)
			}
			// Any other type (reset.verification.failed, or one added later) is not the end.
		}
	}
	return nil, fmt.Errorf("no %s for %s within 30 s", want, resetID)
}

// streamOf names a stream as resetd does: the prefix upper-cased, other characters as `_`.
func streamOf(prefix, kind string) string {
	return regexp.MustCompile(`[^A-Z0-9]`).ReplaceAllString(strings.ToUpper(prefix), "_") + "_" + kind
}

// newUUID is a random (version 4) UUID: the event's id, and so the reset's id.
func newUUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func orNone(n *int) string {
	if n == nil {
		return "-"
	}
	return fmt.Sprint(*n)
}
