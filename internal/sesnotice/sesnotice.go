// Package sesnotice reads the bounce and complaint notifications Amazon
// SES publishes to SNS, for the suppression list.
package sesnotice

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/partnerloop/partnerloop/internal/mail"
)

// notification is the part of an SES bounce or complaint notification
// (identity notifications say notificationType, configuration-set event
// publishing says eventType) that the suppression list needs.
type notification struct {
	NotificationType string `json:"notificationType"`
	EventType        string `json:"eventType"`
	Bounce           *struct {
		BounceType        string      `json:"bounceType"`
		BouncedRecipients []recipient `json:"bouncedRecipients"`
		Timestamp         time.Time   `json:"timestamp"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients []recipient `json:"complainedRecipients"`
		Timestamp            time.Time   `json:"timestamp"`
	} `json:"complaint"`
}

type recipient struct {
	EmailAddress string `json:"emailAddress"`
}

// Feedback reads one SNS message from SES; ok is false for other
// notifications (deliveries, sends) the topic may carry.
func Feedback(message string) (f mail.Feedback, ok bool, err error) {
	var n notification
	if err := json.Unmarshal([]byte(message), &n); err != nil {
		return mail.Feedback{}, false, fmt.Errorf("not an SES notification: %w", err)
	}
	typ := n.NotificationType
	if typ == "" {
		typ = n.EventType
	}
	switch {
	case typ == "Bounce" && n.Bounce != nil:
		f = mail.Feedback{Type: typ, Permanent: n.Bounce.BounceType == "Permanent", At: n.Bounce.Timestamp}
		for _, r := range n.Bounce.BouncedRecipients {
			f.Addresses = append(f.Addresses, r.EmailAddress)
		}
	case typ == "Complaint" && n.Complaint != nil:
		f = mail.Feedback{Type: typ, At: n.Complaint.Timestamp}
		for _, r := range n.Complaint.ComplainedRecipients {
			f.Addresses = append(f.Addresses, r.EmailAddress)
		}
	default:
		return mail.Feedback{}, false, nil
	}
	return f, true, nil
}
