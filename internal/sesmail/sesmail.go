// Package sesmail sends e-mail through Amazon SES v2; internal/sesnotice
// reads what SES reports back, without the SDK.
package sesmail

import (
	"context"

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
