package group

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/partnerloop/partnerloop/internal/bounds"
)

const valid = `{"id":"resellers","name":"Resellers","slug":"resellers","hold_days":14,"default_tier":"silver",
	"commission":{"overrides":[{"id":"tools","category":"tools","rate_bps":2000}]},
	"auto_approve":{"enabled":true,"countries":["IT"],"email_domains":["shop.example"]},
	"form":[{"key":"shop_url","label":{"en":"Your shop","it":"Il tuo negozio","ru":"Ваш магазин"},"type":"url","required":true},
		{"key":"size","label":{"en":"Size","it":"Dimensione","ru":"Размер"},"type":"select","options":["small","large"],"required":false}],
	"landing":{"title":{"en":"Sell with us","it":"Vendi con noi","ru":"Продавайте с нами"},"description":{"en":"**Earn** more","it":"","ru":""},
		"brand_color":"#112233","terms_url":"https://shop.example/terms"}}`

func TestParseAcceptsTheContract(t *testing.T) {
	g, err := Parse([]byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	terms := g.Terms()
	if terms.ID != "resellers" || *terms.HoldDays != 14 || terms.Commission.Overrides[0].ID != "tools" || len(g.Form) != 2 {
		t.Fatalf("group %+v", g)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	for _, tc := range []struct{ from, to, field string }{
		{`"id":"resellers"`, `"id":"a/b"`, "id"},
		{`"id":"resellers"`, fmt.Sprintf(`"id":%q`, strings.Repeat("a", 257)), "id"},
		{`"name":"Resellers"`, fmt.Sprintf(`"name":%q`, strings.Repeat("é", 201)), "name"},
		{`"slug":"resellers"`, `"slug":"Resellers"`, "slug"},
		{`"slug":"resellers"`, fmt.Sprintf(`"slug":%q`, strings.Repeat("a", 65)), "slug"},
		{`"hold_days":14`, `"hold_days":-1`, "hold_days"},
		{`"default_tier":"silver"`, `"default_tier":"platinum"`, "default_tier"},
		{`"rate_bps":2000`, `"rate_bps":20000`, "commission.overrides[0].rate_bps"},
		{`"countries":["IT"]`, `"countries":["Italy"]`, "auto_approve.countries[0]"},
		{`"email_domains":["shop.example"]`, `"email_domains":["@shop"]`, "auto_approve.email_domains[0]"},
		{`"key":"shop_url"`, `"key":"size"`, "form[1].key"},
		{`"ru":"Ваш магазин"`, `"ru":""`, "form[0].label.ru"},
		{`"en":"Your shop"`, fmt.Sprintf(`"en":%q`, strings.Repeat("x", 2001)), "form[0].label.en"},
		{`"type":"url"`, `"type":"date"`, "form[0].type"},
		{`"options":["small","large"]`, `"options":[]`, "form[1].options"},
		{`"options":["small","large"]`, `"options":["small","small"]`, "form[1].options[1]"},
		{`"type":"url"`, `"type":"url","options":["a"]`, "form[0].options"},
		{`"en":"**Earn** more"`, fmt.Sprintf(`"en":%q`, strings.Repeat("x", 10001)), "landing.description.en"},
		{`"en":"Sell with us"`, fmt.Sprintf(`"en":%q`, strings.Repeat("x", 201)), "landing.title.en"},
		{`"brand_color":"#112233"`, `"brand_color":"red"`, "landing.brand_color"},
		{`"terms_url":"https://shop.example/terms"`, `"terms_url":"http://shop.example/terms"`, "landing.terms_url"},
		{`"terms_url":"https://shop.example/terms"`, `"terms_url":"https://shop.example/terms","logo_url":"javascript:x"`, "landing.logo_url"},
		{`"hold_days":14`, `"hold_days":"14"`, "hold_days"},
		{`"hold_days":14`, `"hold_day":14`, "hold_day"},
	} {
		body := strings.Replace(valid, tc.from, tc.to, 1)
		_, err := Parse([]byte(body))
		var be *bounds.Error
		if !errors.Is(err, ErrInvalid) || !errors.As(err, &be) || be.Field != tc.field {
			t.Errorf("%s → %v (field %v), want %s", tc.to[:min(len(tc.to), 40)], err, be, tc.field)
		}
	}
}

func TestFormAndOptionsAreBounded(t *testing.T) {
	g, _ := Parse([]byte(valid))
	for len(g.Form) <= MaxFormFields {
		g.Form = append(g.Form, Field{Key: fmt.Sprintf("f%d", len(g.Form)), Label: Texts{"a", "b", "c"}, Type: "text"})
	}
	var be *bounds.Error
	if err := g.Validate(); !errors.As(err, &be) || be.Field != "form" {
		t.Errorf("%d fields: %v", len(g.Form), err)
	}
	g, _ = Parse([]byte(valid))
	for len(g.Form[1].Options) <= MaxOptions {
		g.Form[1].Options = append(g.Form[1].Options, fmt.Sprint("o", len(g.Form[1].Options)))
	}
	if err := g.Validate(); !errors.As(err, &be) || be.Field != "form[1].options" {
		t.Errorf("%d options: %v", len(g.Form[1].Options), err)
	}
}

func TestOnlyTheDefaultGroupGoesWithoutALanding(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Errorf("default group: %v", err)
	}
	g, _ := Parse([]byte(valid))
	g.Landing = nil
	var be *bounds.Error
	if err := g.Validate(); !errors.As(err, &be) || be.Field != "landing" {
		t.Errorf("no landing: %v", err)
	}
}

func TestPatchedMergesAndRemoves(t *testing.T) {
	g, _ := Parse([]byte(valid))
	next, err := Patched(g, []byte(`{"name":"Top resellers","commission":null,"landing":{"brand_color":"#000000"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if next.Name != "Top resellers" || next.Commission != nil || next.Landing.BrandColor != "#000000" ||
		next.Landing.Title.IT != "Vendi con noi" || *next.HoldDays != 14 {
		t.Fatalf("patched %+v", next)
	}
	var be *bounds.Error
	if _, err := Patched(g, []byte(`{"id":"other"}`)); !errors.As(err, &be) || be.Field != "id" {
		t.Errorf("id change: %v", err)
	}
	if _, err := Patched(g, []byte(`{"slug":"Bad Slug"}`)); !errors.As(err, &be) || be.Field != "slug" {
		t.Errorf("bad slug: %v", err)
	}
	if _, err := Patched(g, []byte(`[1]`)); !errors.Is(err, ErrInvalid) {
		t.Errorf("array patch: %v", err)
	}
}
