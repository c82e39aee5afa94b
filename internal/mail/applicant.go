package mail

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/outbox"
)

// Kinds of e-mail to someone who applied to join a group: the link that
// confirms the e-mail, and the answer to a rejected application. They go
// to the address the application gave, in its language; an approval
// sends the partner's invitation.
const (
	KindApplicationConfirm  Kind = "application_confirm"
	KindApplicationRejected Kind = "application_rejected"
)

// applicantKinds are the event types that mail an applicant.
var applicantKinds = map[string]Kind{
	outbox.ApplicationSubmitted: KindApplicationConfirm,
	outbox.ApplicationRejected:  KindApplicationRejected,
}

// toApplicant reports whether the kind goes to an applicant.
func (k Kind) toApplicant() bool {
	return k == KindApplicationConfirm || k == KindApplicationRejected
}

// Applicant is the data of the application events that mail.
type Applicant struct {
	ApplicationID string    `json:"application_id"`
	Email         string    `json:"email"`
	Name          string    `json:"name"`
	Language      string    `json:"language"`
	Group         string    `json:"group"` // the group's name
	Slug          string    `json:"slug"`  // the group's join page
	ConfirmBy     time.Time `json:"confirm_by,omitzero"`
	Reason        string    `json:"reason,omitempty"`
}

var applicantCopy = map[string]map[Kind]copyText{
	"en": {
		KindApplicationConfirm: {Subject: "Confirm your e-mail to apply to {{.Group}}",
			Lines:  []string{"Hello {{.Name}},", "thank you for applying to {{.Group}}. Confirm your e-mail address so that we can review your application. The link works until {{.Day}}.", "If you did not apply, ignore this e-mail."},
			Action: "Confirm my e-mail"},
		KindApplicationRejected: {Subject: "Your application to {{.Group}}",
			Lines:  []string{"Hello {{.Name}},", "thank you for your interest in {{.Group}}. We cannot accept your application: {{.Reason}}."},
			Action: "See the program"},
	},
	"it": {
		KindApplicationConfirm: {Subject: "Conferma la tua e-mail per candidarti a {{.Group}}",
			Lines:  []string{"Ciao {{.Name}},", "grazie per la tua candidatura a {{.Group}}. Conferma il tuo indirizzo e-mail perché possiamo esaminarla. Il link è valido fino al {{.Day}}.", "Se non ti sei candidato, ignora questa e-mail."},
			Action: "Conferma la mia e-mail"},
		KindApplicationRejected: {Subject: "La tua candidatura a {{.Group}}",
			Lines:  []string{"Ciao {{.Name}},", "grazie per il tuo interesse per {{.Group}}. Non possiamo accettare la tua candidatura: {{.Reason}}."},
			Action: "Vedi il programma"},
	},
	"ru": {
		KindApplicationConfirm: {Subject: "Подтвердите e-mail для заявки в {{.Group}}",
			Lines:  []string{"Здравствуйте, {{.Name}}!", "Спасибо за заявку в {{.Group}}. Подтвердите адрес e-mail, чтобы мы рассмотрели заявку. Ссылка действует до {{.Day}}.", "Если вы не подавали заявку, не обращайте внимания на это письмо."},
			Action: "Подтвердить e-mail"},
		KindApplicationRejected: {Subject: "Ваша заявка в {{.Group}}",
			Lines:  []string{"Здравствуйте, {{.Name}}!", "Спасибо за интерес к {{.Group}}. Мы не можем принять вашу заявку: {{.Reason}}."},
			Action: "О программе"},
	},
}

// rejectionReasons say each rejection reason in each language.
var rejectionReasons = map[string]map[string]string{
	"en": {"not_a_fit": "the program is not a fit for your profile", "incomplete": "the application is incomplete",
		"duplicate": "you already applied or are a partner", "fraud_suspected": "we could not verify the application", "other": "it does not meet the program's criteria"},
	"it": {"not_a_fit": "il programma non è adatto al tuo profilo", "incomplete": "la candidatura è incompleta",
		"duplicate": "ti sei già candidato o sei già partner", "fraud_suspected": "non abbiamo potuto verificare la candidatura", "other": "non soddisfa i criteri del programma"},
	"ru": {"not_a_fit": "программа не подходит вашему профилю", "incomplete": "заявка заполнена не полностью",
		"duplicate": "вы уже подали заявку или уже являетесь партнёром", "fraud_suspected": "мы не смогли проверить заявку", "other": "она не соответствует условиям программы"},
}

func init() {
	for lang, kinds := range applicantCopy {
		for k, words := range kinds {
			locales[lang].copy[k] = words
		}
	}
}

// forwardToApplicant queues the e-mail an application event sends.
func (s *Service) forwardToApplicant(ctx context.Context, evt outbox.Event, kind Kind) error {
	var a Applicant
	if err := json.Unmarshal(evt.Data, &a); err != nil {
		return fmt.Errorf("event %s: %w", evt.ID, err)
	}
	return s.Queue.SendJobs(ctx, []Job{{ID: JobID(evt.ID, a.Email, kind), Kind: kind, To: a.Email, At: evt.CreatedAt, Data: evt.Data}})
}

// deliverToApplicant renders an applicant's e-mail in the application's
// language and sends it once.
func (s *Service) deliverToApplicant(ctx context.Context, job Job) (Outcome, error) {
	var a Applicant
	if err := json.Unmarshal(job.Data, &a); err != nil {
		return "", fmt.Errorf("job %s: %w", job.ID, err)
	}
	loc := LocaleOf(a.Language)
	c := Content{Kind: job.Kind, Facts: Facts{Name: a.Name, Group: a.Group}}
	switch job.Kind {
	case KindApplicationConfirm:
		c.Page = s.BaseURL + "/join/confirm/" + s.Signer.ConfirmationToken(a.ApplicationID, a.ConfirmBy)
		c.Facts.Day = loc.Date(a.ConfirmBy)
	case KindApplicationRejected:
		c.Page, c.Facts.Reason = s.BaseURL+"/join/"+a.Slug, rejectionReasons[loc.Lang][a.Reason]
	}
	return s.send(ctx, job.ID, a.Email, loc, c)
}

// confirmationKey keeps confirmation links apart from unsubscribe links,
// though one secret keys both.
func (s Signer) confirmationKey() []byte {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte("partnerloop application confirmation links v1"))
	return mac.Sum(nil)
}

func (s Signer) confirmationMAC(applicationID, until string) string {
	mac := hmac.New(sha256.New, s.confirmationKey())
	mac.Write([]byte(applicationID + "|" + until))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// ConfirmationToken signs the link that confirms an application's e-mail
// until the given time: <application>.<unix until>.<mac>.
func (s Signer) ConfirmationToken(applicationID string, until time.Time) string {
	u := strconv.FormatInt(until.Unix(), 10)
	return applicationID + "." + u + "." + s.confirmationMAC(applicationID, u)
}

// VerifyConfirmation returns the application a token names, or
// ErrInvalidToken for a token not signed here or past its time.
func (s Signer) VerifyConfirmation(token string, now time.Time) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(token) > 200 {
		return "", ErrInvalidToken
	}
	until, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || !hmac.Equal([]byte(parts[2]), []byte(s.confirmationMAC(parts[0], parts[1]))) || now.Unix() > until {
		return "", ErrInvalidToken
	}
	return parts[0], nil
}
