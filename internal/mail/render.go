package mail

import (
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/partnerloop/partnerloop/internal/money"
)

// Facts are what an e-mail says, already formatted for its reader: the
// copy of every kind picks the ones it needs.
type Facts struct {
	Name      string // the partner's name
	Amount    string
	Method    string
	Reference string
	Charity   string
	Tier      string
	From      string // the tier before
	Badge     string
	Reward    string
	Quantity  int64
	Day       string
	Total     string
	Link      string // the partner's referral link
	Batch     string
	By        string
	Partner   string // a partner's id, in finance mail
	Item      string
	Reason    string
	Group     string // the name of the group an applicant applied to
	Goal      string // a program goal's id
	Level     int    // the goal's level reached, from 1
	Period    string // the goal's period (2026-03, 2026-Q1, 2026)
	Donation  string // what the program gives to a charity in the partner's name
	Challenge string // a challenge's name
}

// Row is one line of a table in the e-mail (a digest's orders).
type Row struct {
	Label, Amount string
}

// Content is one e-mail before rendering.
type Content struct {
	Kind  Kind
	Facts Facts
	Rows  []Row
	// Page is the portal or console page the e-mail leads to.
	Page string
	// Unsubscribe, set on every non-transactional e-mail, is the one-click
	// unsubscribe URL.
	Unsubscribe string
	// Announcement, set on a broadcast, brings its own subject and body.
	Announcement *Announcement
}

// copyText is one kind's words in one language: text/template sources
// over Facts.
type copyText struct {
	Subject string
	Lines   []string
	Action  string
}

// Locale is how one language writes e-mails, money and dates.
type Locale struct {
	Lang string
	// thousands and decimal separate digits; symbolFirst puts a currency
	// symbol before the amount ("€1.00") rather than after ("1,00 €").
	thousands, decimal string
	symbolFirst        bool
	months             [12]string
	dateLayout         string // {d} {month} {yyyy}
	methods            map[string]string
	tiers              map[string]string
	words              map[string]string // order, refund, total, footer, unsubscribe
	copy               map[Kind]copyText
}

// LocaleOf is the locale of a language, English for any it does not know.
func LocaleOf(lang string) Locale {
	if l, ok := locales[lang]; ok {
		return l
	}
	return locales["en"]
}

// Languages lists the languages e-mails are written in.
func Languages() []string { return []string{"en", "it", "ru"} }

var symbols = map[money.Currency]string{"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "RUB": "₽"}

// Money writes minor units of a currency as the locale does: "€1,234.56",
// "1.234,56 €", "1 234,56 €".
func (l Locale) Money(minor int64, c money.Currency) string {
	plain := money.FormatDecimal(minor, c)
	sign := ""
	if strings.HasPrefix(plain, "-") {
		sign, plain = "-", plain[1:]
	}
	whole, frac, _ := strings.Cut(plain, ".")
	var b strings.Builder
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(l.thousands)
		}
		b.WriteRune(d)
	}
	number := b.String()
	if frac != "" {
		number += l.decimal + frac
	}
	sym, known := symbols[c]
	switch {
	case known && l.symbolFirst:
		return sign + sym + number
	case known:
		return sign + number + "\u00a0" + sym
	case l.symbolFirst:
		return sign + string(c) + "\u00a0" + number
	}
	return sign + number + "\u00a0" + string(c)
}

// Date writes a day as the locale does: "March 5, 2026", "5 marzo 2026".
func (l Locale) Date(t time.Time) string {
	t = t.UTC()
	r := strings.NewReplacer("{d}", strconv.Itoa(t.Day()), "{month}", l.months[t.Month()-1], "{yyyy}", strconv.Itoa(t.Year()))
	return r.Replace(l.dateLayout)
}

// Method names a payout method.
func (l Locale) Method(m string) string {
	if name, ok := l.methods[m]; ok {
		return name
	}
	return m
}

// Tier names a tier.
func (l Locale) Tier(t string) string {
	if name, ok := l.tiers[t]; ok {
		return name
	}
	return t
}

// Word is one of the locale's fixed words (order, refund, total).
func (l Locale) Word(w string) string { return l.words[w] }

// UnsubscribePage is the confirmation page's words for a category: the
// question and its button before, the answer after.
func (l Locale) UnsubscribePage(c Category) (ask, button, done string) {
	r := strings.NewReplacer("{category}", l.words[string(c)])
	return r.Replace(l.words["ask"]), l.words["button"], r.Replace(l.words["done"])
}

type page struct {
	Lang, Subject, Action, Page, Footer, Unsubscribe, UnsubscribeText string
	Lines                                                             []string
	Rows                                                              []Row
	Body                                                              htmltemplate.HTML // an announcement's body
	BodyText                                                          string
}

var htmlLayout = htmltemplate.Must(htmltemplate.New("html").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:Arial,sans-serif;line-height:1.5;color:#1a1a1a;max-width:600px;margin:0 auto;padding:16px">
{{range .Lines}}<p>{{.}}</p>
{{end}}{{.Body}}{{if .Rows}}<table style="border-collapse:collapse;margin:8px 0">
{{range .Rows}}<tr><td style="padding:2px 16px 2px 0">{{.Label}}</td><td style="padding:2px 0;text-align:right">{{.Amount}}</td></tr>
{{end}}</table>
{{end}}<p><a href="{{.Page}}" style="display:inline-block;padding:10px 16px;background:#1f5eff;color:#ffffff;text-decoration:none;border-radius:4px">{{.Action}}</a></p>
{{if .Footer}}<hr style="border:none;border-top:1px solid #dddddd"><p style="font-size:12px;color:#666666">{{.Footer}}{{if .Unsubscribe}} <a href="{{.Unsubscribe}}">{{.UnsubscribeText}}</a>{{end}}</p>
{{end}}</body></html>
`))

var textLayout = texttemplate.Must(texttemplate.New("text").Parse(`{{range .Lines}}{{.}}

{{end}}{{if .BodyText}}{{.BodyText}}

{{end}}{{range .Rows}}  {{.Label}}  {{.Amount}}
{{end}}{{if .Rows}}
{{end}}{{.Action}}: {{.Page}}
{{if .Footer}}
-- 
{{.Footer}}
{{if .Unsubscribe}}{{.UnsubscribeText}}: {{.Unsubscribe}}
{{end}}{{end}}`))

// oneLine keeps a subject on one line (a header cannot break), leaving
// other spaces, such as a number's no-break spaces, as they are.
var oneLine = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ")

// Render writes the e-mail's subject, text and HTML in the locale's
// language. Facts are plain text: the HTML escapes them, and no line break
// reaches the subject.
func (l Locale) Render(c Content) (subject, text, html string, err error) {
	words, ok := l.copy[c.Kind]
	if !ok {
		words = locales["en"].copy[c.Kind]
	}
	fill := func(src string) (string, error) {
		t, err := texttemplate.New("").Parse(src)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		err = t.Execute(&b, c.Facts)
		return b.String(), err
	}
	if subject, err = fill(words.Subject); err != nil {
		return "", "", "", err
	}
	if c.Announcement != nil {
		subject = c.Announcement.Subject
	}
	subject = oneLine.Replace(subject)
	p := page{Lang: l.Lang, Subject: subject, Action: words.Action, Page: c.Page, Rows: c.Rows, Unsubscribe: c.Unsubscribe,
		UnsubscribeText: l.words["unsubscribe"]}
	if c.Kind.ToPartner() {
		p.Footer = l.words["footer"]
	}
	if c.Announcement != nil {
		p.Body, p.BodyText = c.Announcement.HTML, c.Announcement.Text
	}
	for _, src := range words.Lines {
		line, err := fill(src)
		if err != nil {
			return "", "", "", err
		}
		p.Lines = append(p.Lines, line)
	}
	var tb, hb strings.Builder
	if err := textLayout.Execute(&tb, p); err != nil {
		return "", "", "", err
	}
	if err := htmlLayout.Execute(&hb, p); err != nil {
		return "", "", "", err
	}
	return subject, tb.String(), hb.String(), nil
}
