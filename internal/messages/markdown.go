package messages

import (
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Markdown is a message body written in the small Markdown subset
// broadcasts allow: paragraphs, *emphasis* and **strong** text, links to
// http and https addresses, and lists ("- item", "1. item"). Anything else
// is text, and every character of the text is escaped in HTML, so a body
// can never carry markup, scripts or other link schemes.
type Markdown string

// Rendered is a body as HTML (for the e-mail, the inbox and the preview)
// and as plain text (for the e-mail's text part).
type Rendered struct {
	HTML string
	Text string
}

var (
	bulletItem   = regexp.MustCompile(`^\s{0,3}[-*+]\s+(.*)$`)
	numberedItem = regexp.MustCompile(`^\s{0,3}(\d{1,9})[.)]\s+(.*)$`)
)

// block is a paragraph or a list.
type block struct {
	list  string // "", "ul" or "ol"
	lines []string
}

// Render renders the body.
func (m Markdown) Render() Rendered {
	var hb, tb strings.Builder
	for i, b := range blocks(string(m)) {
		if i > 0 {
			tb.WriteString("\n\n")
		}
		if b.list == "" {
			nodes := parseInline(strings.Join(b.lines, "\n"))
			hb.WriteString("<p>")
			writeHTML(&hb, nodes)
			hb.WriteString("</p>\n")
			writeText(&tb, nodes)
			continue
		}
		hb.WriteString("<" + b.list + ">\n")
		for n, line := range b.lines {
			nodes := parseInline(line)
			hb.WriteString("<li>")
			writeHTML(&hb, nodes)
			hb.WriteString("</li>\n")
			if n > 0 {
				tb.WriteString("\n")
			}
			if b.list == "ol" {
				tb.WriteString(strconv.Itoa(n+1) + ". ")
			} else {
				tb.WriteString("- ")
			}
			writeText(&tb, nodes)
		}
		hb.WriteString("</" + b.list + ">\n")
	}
	return Rendered{HTML: hb.String(), Text: tb.String()}
}

// blocks splits the body into paragraphs (separated by blank lines) and
// lists (runs of item lines).
func blocks(body string) []block {
	var out []block
	var cur *block
	flush := func() {
		if cur != nil && len(cur.lines) > 0 {
			out = append(out, *cur)
		}
		cur = nil
	}
	for line := range strings.SplitSeq(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		line = strings.TrimRight(line, " \t\r")
		kind, item := "", line
		if m := bulletItem.FindStringSubmatch(line); m != nil {
			kind, item = "ul", m[1]
		} else if m := numberedItem.FindStringSubmatch(line); m != nil {
			kind, item = "ol", m[2]
		}
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case cur == nil || cur.list != kind:
			flush()
			cur = &block{list: kind, lines: []string{item}}
		default:
			cur.lines = append(cur.lines, item)
		}
	}
	flush()
	return out
}

// node is a run of inline text: plain, emphasised, strong or a link.
type node struct {
	kind     string // "text", "em", "strong", "a"
	text     string // for text
	href     string // for a
	children []node
}

// parseInline reads emphasis, strong text and links; an opener without
// its closer, or a link to anything but http(s), stays text.
func parseInline(s string) []node {
	var out []node
	var text strings.Builder
	noCloser := map[string]bool{} // delimiters known to have no closer further on
	emit := func(n node) {
		if text.Len() > 0 {
			out = append(out, node{kind: "text", text: text.String()})
			text.Reset()
		}
		out = append(out, n)
	}
	for i := 0; i < len(s); {
		switch {
		case s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`\*_[]()`, s[i+1]) >= 0:
			text.WriteByte(s[i+1])
			i += 2
			continue
		case strings.HasPrefix(s[i:], "**") && !noCloser["**"]:
			if j := strings.Index(s[i+2:], "**"); j > 0 {
				emit(node{kind: "strong", children: parseInline(s[i+2 : i+2+j])})
				i += 2 + j + 2
				continue
			}
			noCloser["**"] = true
			text.WriteString("**") // both, or the second would open emphasis
			i += 2
			continue
		case strings.HasPrefix(s[i:], "**"):
			text.WriteString("**")
			i += 2
			continue
		case (s[i] == '*' || s[i] == '_') && !noCloser[s[i:i+1]] && i+1 < len(s) && s[i+1] != ' ':
			if j := strings.IndexByte(s[i+1:], s[i]); j > 0 {
				emit(node{kind: "em", children: parseInline(s[i+1 : i+1+j])})
				i += 1 + j + 1
				continue
			} else if j < 0 {
				noCloser[s[i:i+1]] = true
			}
		case s[i] == '[' && !noCloser["["]:
			if label, href, n, ok := link(s[i:]); ok {
				emit(node{kind: "a", href: href, children: parseInline(label)})
				i += n
				continue
			}
			if !strings.Contains(s[i:], "](") {
				noCloser["["] = true
			}
		}
		text.WriteByte(s[i])
		i++
	}
	if text.Len() > 0 {
		out = append(out, node{kind: "text", text: text.String()})
	}
	return out
}

// link reads "[label](url)" at the start of s: the label, the address and
// the length read. Only absolute http and https addresses are links.
func link(s string) (label, href string, n int, ok bool) {
	mid := strings.Index(s, "](")
	if mid < 1 || strings.Contains(s[1:mid], "[") {
		return "", "", 0, false
	}
	end := strings.IndexByte(s[mid+2:], ')')
	if end < 1 {
		return "", "", 0, false
	}
	href = s[mid+2 : mid+2+end]
	u, err := url.Parse(href)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(href, " \t\n\"'<>") {
		return "", "", 0, false
	}
	return s[1:mid], href, mid + 2 + end + 1, true
}

func writeHTML(b *strings.Builder, nodes []node) {
	for _, n := range nodes {
		switch n.kind {
		case "text":
			b.WriteString(html.EscapeString(n.text))
		case "a":
			b.WriteString(`<a href="` + html.EscapeString(n.href) + `">`)
			writeHTML(b, n.children)
			b.WriteString("</a>")
		default:
			b.WriteString("<" + n.kind + ">")
			writeHTML(b, n.children)
			b.WriteString("</" + n.kind + ">")
		}
	}
}

func writeText(b *strings.Builder, nodes []node) {
	for _, n := range nodes {
		switch n.kind {
		case "text":
			b.WriteString(n.text)
		case "a":
			var label strings.Builder
			writeText(&label, n.children)
			if label.String() == n.href {
				b.WriteString(n.href)
			} else {
				b.WriteString(label.String() + " (" + n.href + ")")
			}
		default:
			writeText(b, n.children)
		}
	}
}
