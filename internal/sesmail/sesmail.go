// Package sesmail sends e-mail through Amazon SES v2 and reads the bounce
// and complaint notifications SES publishes to SNS.
package sesmail

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/partnerloop/partnerloop/internal/mail"
)

// Sender sends from one verified identity, through a configuration set
// whose event destination reports bounces and complaints.
type Sender struct {
	Client           *sesv2.Client
	From             string
	ConfigurationSet string // empty: none (local runs)
}

// Send sends a message as SES "simple" content: SES builds the MIME
// message, with the extra headers (List-Unsubscribe) it is given.
func (s *Sender) Send(ctx context.Context, m mail.Message) (string, error) {
	msg := &types.Message{
		Subject: &types.Content{Data: aws.String(m.Subject), Charset: aws.String("UTF-8")},
		Body: &types.Body{Text: &types.Content{Data: aws.String(m.Text), Charset: aws.String("UTF-8")},
			Html: &types.Content{Data: aws.String(m.HTML), Charset: aws.String("UTF-8")}},
	}
	for _, h := range m.Headers {
		msg.Headers = append(msg.Headers, types.MessageHeader{Name: aws.String(h.Name), Value: aws.String(h.Value)})
	}
	in := &sesv2.SendEmailInput{FromEmailAddress: aws.String(s.From), Destination: &types.Destination{ToAddresses: []string{m.To}},
		Content: &types.EmailContent{Simple: msg}}
	if s.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.ConfigurationSet)
	}
	out, err := s.Client.SendEmail(ctx, in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.MessageId), nil
}

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

// ParseFeedback reads one SNS message from SES; ok is false for other
// notifications (deliveries, sends) the topic may carry.
func ParseFeedback(message string) (f mail.Feedback, ok bool, err error) {
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
