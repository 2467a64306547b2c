package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
)

// The headers of a webhook delivery.
const (
	HeaderDelivery  = "X-Tocsin-Delivery"  // the message key: receivers drop a delivery they have seen
	HeaderTimestamp = "X-Tocsin-Timestamp" // Unix seconds when it was signed
	HeaderSignature = "X-Tocsin-Signature" // sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))
)

// WebhookTolerance is how far a delivery's timestamp may be from the
// receiver's clock for VerifyWebhook to accept it.
const WebhookTolerance = 5 * time.Minute

// WebhookPayload is the JSON body of a webhook delivery; the schema is
// documented in docs/notifications.md.
type WebhookPayload struct {
	ID        string           `json:"id"`   // the message key, as X-Tocsin-Delivery
	Kind      Kind             `json:"kind"` // broadcast, page, ...
	Incident  *WebhookIncident `json:"incident,omitempty"`
	Subject   string           `json:"subject"`
	Text      string           `json:"text"`
	CreatedAt time.Time        `json:"created_at"` // when the message was made
	Drill     bool             `json:"drill"`
}

// WebhookIncident is the incident a delivery is about, as it is when the
// delivery is made.
type WebhookIncident struct {
	Number   string `json:"number"`
	Title    string `json:"title,omitempty"`
	Level    string `json:"level,omitempty"`
	Stage    string `json:"stage,omitempty"`
	Category string `json:"category,omitempty"`
	URL      string `json:"url"`
}

// IncidentReader finds an incident by id or number; *incident.Service is
// one.
type IncidentReader interface {
	Get(ctx context.Context, ref string) (*incident.Incident, error)
}

// WebhookSender posts messages to the configured generic webhooks as
// signed JSON. A receiver answers 2xx for taken; 429 (with Retry-After)
// to be asked again later; 5xx or 408 to be retried with back-off; any
// other status refuses the message for good.
type WebhookSender struct {
	routes    *Routes
	incidents IncidentReader
	client    *http.Client
	baseURL   string
	now       func() time.Time
}

var (
	_ Sender      = (*WebhookSender)(nil)
	_ Destination = (*WebhookSender)(nil)
	_ Resendable  = (*WebhookSender)(nil)
)

// NewWebhookSender returns a sender to the webhook destinations of routes.
// incidents fills in the incident of a message (nil: number and link only);
// client is NewHTTPClient() unless a test says otherwise.
func NewWebhookSender(routes *Routes, incidents IncidentReader, client *http.Client, baseURL string, now func() time.Time) *WebhookSender {
	if client == nil {
		client = NewHTTPClient()
	}
	return &WebhookSender{routes: routes, incidents: incidents, client: client, baseURL: baseURL, now: now}
}

// ResendSafe is true: receivers drop a delivery whose X-Tocsin-Delivery
// they have seen, so a message whose outcome was lost is sent again.
func (s *WebhookSender) ResendSafe() bool { return true }

// Destination is the webhook m goes to; webhooks have no rate limit.
func (s *WebhookSender) Destination(m Message) (string, time.Duration) {
	return "webhook:" + m.Address, 0
}

// Send posts m to the webhook named by m.Address.
func (s *WebhookSender) Send(ctx context.Context, m Message) (string, error) {
	e, ok := s.routes.Endpoint(m.Address)
	if !ok || e.Kind != ChannelWebhook {
		return "", fmt.Errorf("webhook %q is not configured: %w", m.Address, ErrPermanent)
	}
	what := "webhook " + e.Name
	p, err := s.payload(ctx, m)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	body, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	now := s.now()
	ts := strconv.FormatInt(now.Unix(), 10)
	h := http.Header{}
	h.Set(HeaderDelivery, m.Key)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, SignWebhook(e.Secret, ts, body))
	r, err := postJSON(ctx, s.client, what, e.URL, body, h)
	if err != nil {
		return "", err
	}
	if err := statusError(what, r, now); err != nil {
		return "", err
	}
	return "webhook:" + e.Name + ":" + strconv.Itoa(r.status), nil
}

func (s *WebhookSender) payload(ctx context.Context, m Message) (WebhookPayload, error) {
	p := WebhookPayload{ID: m.Key, Kind: m.Kind, Subject: m.Subject, Text: m.Body,
		CreatedAt: m.CreatedAt.UTC(), Drill: strings.HasPrefix(m.Subject, DrillTag)}
	if m.Incident == "" {
		return p, nil
	}
	p.Incident = &WebhookIncident{Number: m.Incident, URL: IncidentURL(s.baseURL, m.Incident)}
	if s.incidents == nil || m.Restricted {
		return p, nil
	}
	inc, err := s.incidents.Get(ctx, m.Incident)
	switch {
	case errors.Is(err, incident.ErrNotFound):
		return p, nil
	case err != nil:
		return p, fmt.Errorf("read incident %s: %w", m.Incident, err)
	}
	p.Incident.Title = inc.Title
	p.Incident.Level = string(inc.Level)
	p.Incident.Stage = string(inc.Stage)
	p.Incident.Category = string(inc.Category)
	p.Drill = inc.Drill
	return p, nil
}

// SignWebhook is the X-Tocsin-Signature of body signed at timestamp (Unix
// seconds, as sent in X-Tocsin-Timestamp) with secret.
func SignWebhook(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// ErrWebhookSignature is returned by VerifyWebhook for a delivery that was
// not signed with the secret, or not recently.
var ErrWebhookSignature = errors.New("invalid webhook signature")

// VerifyWebhook checks a delivery's headers against its raw body, for a
// receiver whose clock reads now: the signature must be that of secret
// over the timestamp and body, and the timestamp within WebhookTolerance
// of now. A receiver should then drop a delivery whose X-Tocsin-Delivery
// it has already processed.
func VerifyWebhook(secret string, header http.Header, body []byte, now time.Time) error {
	ts, sig := header.Get(HeaderTimestamp), header.Get(HeaderSignature)
	if ts == "" || sig == "" {
		return fmt.Errorf("%w: %s or %s missing", ErrWebhookSignature, HeaderTimestamp, HeaderSignature)
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: bad timestamp", ErrWebhookSignature)
	}
	if d := now.Sub(time.Unix(secs, 0)); d > WebhookTolerance || d < -WebhookTolerance {
		return fmt.Errorf("%w: timestamp %s away from now", ErrWebhookSignature, d.Round(time.Second))
	}
	if !hmac.Equal([]byte(sig), []byte(SignWebhook(secret, ts, body))) {
		return fmt.Errorf("%w: signature does not match", ErrWebhookSignature)
	}
	return nil
}
