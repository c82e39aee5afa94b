package fraud

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"strings"
	"sync"
)

// The domain lists ship with the binary; see data/ and the README's Fraud
// section for where each comes from and how to refresh it. The disposable
// list is gzipped: every function links this package through the ledger,
// and compressed it weighs 0.7 MB instead of 1.8 MB.
var (
	//go:embed data/disposable_domains.txt.gz
	disposableGzip []byte
	//go:embed data/free_domains.txt
	freeList string
)

// The lists are parsed on first use, so a function that never screens an
// order does not pay for the disposable list's hundred thousand entries.
var (
	disposableOnce sync.Once
	disposable     map[string]bool
	freeOnce       sync.Once
	free           map[string]bool
)

func domainSet(list string) map[string]bool {
	set := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(list))
	for sc.Scan() {
		if d := strings.TrimSpace(sc.Text()); d != "" && !strings.HasPrefix(d, "#") {
			set[d] = true
		}
	}
	return set
}

// gunzipped is the text of embedded gzip data; a build that embeds a
// broken file cannot screen orders, so it panics on first use.
func gunzipped(data []byte) string {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err == nil {
		var text []byte
		if text, err = io.ReadAll(zr); err == nil {
			return string(text)
		}
	}
	panic("fraud: embedded list: " + err.Error())
}

// IsDisposable reports whether domain, or a domain it is under, is a
// disposable-mail domain.
func IsDisposable(domain string) bool {
	disposableOnce.Do(func() { disposable = domainSet(gunzipped(disposableGzip)) })
	return underAny(domain, disposable)
}

// IsFreeMail reports whether domain is a free e-mail provider's, where
// unrelated people share a domain.
func IsFreeMail(domain string) bool {
	freeOnce.Do(func() { free = domainSet(freeList) })
	return free[domain]
}

// underAny reports whether domain or one of its parent domains is in set.
func underAny(domain string, set map[string]bool) bool {
	for d := domain; d != ""; {
		if set[d] {
			return true
		}
		_, rest, ok := strings.Cut(d, ".")
		if !ok || !strings.Contains(rest, ".") {
			return false // a bare top-level domain is on no list
		}
		d = rest
	}
	return false
}

// Providers that deliver every spelling of an address to one mailbox. A
// documented list, not a guess: Gmail ignores dots and a +tag, and
// googlemail.com is gmail.com; the others deliver +tag to the base address.
var (
	dotBlind     = map[string]bool{"gmail.com": true}
	sameMailbox  = map[string]string{"googlemail.com": "gmail.com"}
	plusTagBlind = map[string]bool{"gmail.com": true, "outlook.com": true, "hotmail.com": true, "live.com": true,
		"icloud.com": true, "me.com": true, "mac.com": true, "fastmail.com": true, "proton.me": true, "protonmail.com": true,
		"pm.me": true, "yandex.ru": true, "yandex.com": true}
)

// NormalizeEmail is the mailbox an address delivers to: lower case,
// trimmed, and for the providers that ignore them without dots (Gmail) and
// without a +tag. Empty for anything that is not an address.
func NormalizeEmail(email string) string {
	local, domain, ok := splitEmail(email)
	if !ok {
		return ""
	}
	if to, alias := sameMailbox[domain]; alias {
		domain = to
	}
	if plusTagBlind[domain] {
		local, _, _ = strings.Cut(local, "+")
	}
	if dotBlind[domain] {
		local = strings.ReplaceAll(local, ".", "")
	}
	if local == "" {
		return ""
	}
	return local + "@" + domain
}

// EmailDomain is an address's domain in lower case, "" if it has none.
func EmailDomain(email string) string {
	_, domain, _ := splitEmail(email)
	return domain
}

func splitEmail(email string) (local, domain string, ok bool) {
	email = strings.ToLower(strings.TrimSpace(email))
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return "", "", false
	}
	return email[:at], strings.TrimSuffix(email[at+1:], "."), true
}
