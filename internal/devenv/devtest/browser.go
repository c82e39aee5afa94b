package devtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/partnerloop/partnerloop/internal/devenv"
)

// Browser is one headless Chromium for a test. Pages are found the way a
// user finds things: by role and accessible name, or by visible text.
type Browser struct {
	t    testing.TB
	ctx  context.Context
	base string
}

// NewBrowser starts Debian's Chromium against the server at base. It never
// skips: `make test` installs the package where it is missing.
func NewBrowser(t testing.TB, base string) *Browser {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("Chromium is not installed; `make test` installs Debian's chromium package")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	if _, err := chromedp.CallBrowser(ctx, browser.GetVersion, cdp.Empty{}); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return &Browser{t: t, ctx: ctx, base: base}
}

// Tab is a page in a browser context of its own (its own storage, so its
// own signed-in user).
type Tab struct {
	t   testing.TB
	ctx context.Context
	b   *Browser
	// frame, if set, is the title of the iframe finding looks inside.
	frame string
}

// NewTab opens a tab whose browser speaks lang (an Accept-Language such as
// "it-IT"), in the Europe/Rome time zone, with a viewport of width×height.
func (b *Browser) NewTab(lang string, width, height int64) *Tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	tab := &Tab{t: b.t, ctx: ctx, b: b}
	version, err := chromedp.CallBrowser(ctx, browser.GetVersion, cdp.Empty{})
	tab.check(err)
	_, err = chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
		UserAgent: strings.Replace(version.UserAgent, "HeadlessChrome", "Chrome", 1), AcceptLanguage: lang})
	tab.check(err)
	_, err = chromedp.Call(ctx, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: strings.ReplaceAll(lang, "-", "_")})
	tab.check(err)
	_, err = chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Europe/Rome"})
	tab.check(err)
	_, err = chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: width, Height: height, DeviceScaleFactor: 1, Mobile: width < 600})
	tab.check(err)
	return tab
}

// For is the tab reporting to t, a subtest of the one that opened it.
func (tab *Tab) For(t testing.TB) *Tab {
	c := *tab
	c.t = t
	return &c
}

// Frame is the tab finding elements inside the iframe with the title, as
// a user reads a widget another origin's page frames: Wait, Count and
// Click look there.
func (tab *Tab) Frame(title string) *Tab {
	c := *tab
	c.frame = title
	return &c
}

// frameDocument is the document inside the tab's iframe, once loaded;
// DevTools reaches it whatever its origin.
func (tab *Tab) frameDocument() (cdp.BackendNodeID, error) {
	depth, pierce := int64(-1), true
	doc, err := chromedp.Call(tab.ctx, dom.GetDocument, dom.GetDocumentParams{Depth: &depth, Pierce: &pierce})
	if err != nil {
		return 0, err
	}
	var walk func(n *cdp.Node) cdp.BackendNodeID
	walk = func(n *cdp.Node) cdp.BackendNodeID {
		// Attributes alternate names and values.
		for i := 0; n.NodeName == "IFRAME" && n.ContentDocument != nil && i+1 < len(n.Attributes); i += 2 {
			if n.Attributes[i] == "title" && n.Attributes[i+1] == tab.frame {
				return n.ContentDocument.BackendNodeID
			}
		}
		for _, c := range n.Children {
			if id := walk(c); id != 0 {
				return id
			}
		}
		return 0
	}
	if id := walk(doc.Root); id != 0 {
		return id, nil
	}
	return 0, fmt.Errorf("no iframe titled %q", tab.frame)
}

func (tab *Tab) check(err error) {
	tab.t.Helper()
	if err != nil {
		tab.t.Fatal(err)
	}
}

// Open loads a path of the server.
func (tab *Tab) Open(path string) {
	tab.t.Helper()
	_, err := chromedp.Run(tab.ctx, chromedp.Navigate(tab.b.base+path))
	tab.check(err)
}

// waitLimit is how long a page may take to show something: generous, as
// CI runs the browser next to the emulators and other tests on two cores; a
// wait that succeeds returns as soon as it does.
const waitLimit = 30 * time.Second

// waitFor polls until found reports true, failing the test with what the
// page shows after waitLimit.
func (tab *Tab) waitFor(what string, found func() (bool, error)) {
	tab.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		ok, err := found()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tab.Screenshot("failed-" + strings.NewReplacer("/", "-", " ", "-").Replace(tab.t.Name()))
			tab.t.Fatalf("waited %v for %s (last error %v); the page shows:\n%s", waitLimit, what, err, tab.Text())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// find returns the DOM nodes with the role and accessible name, skipping
// those hidden from assistive technology.
func (tab *Tab) find(role, name string) ([]cdp.BackendNodeID, error) {
	query := accessibility.QueryAXTreeParams{Role: role, AccessibleName: name}
	if tab.frame != "" {
		id, err := tab.frameDocument()
		if err != nil {
			return nil, err
		}
		query.BackendNodeID = id
	} else {
		doc, err := chromedp.Call(tab.ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: "document"})
		if err != nil {
			return nil, err
		}
		query.ObjectID = doc.Result.ObjectID
	}
	res, err := chromedp.Call(tab.ctx, accessibility.QueryAXTree, query)
	if err != nil {
		return nil, err
	}
	var ids []cdp.BackendNodeID
	for _, n := range res.Nodes {
		if !n.Ignored && n.BackendDOMNodeID != 0 {
			ids = append(ids, n.BackendDOMNodeID)
		}
	}
	return ids, nil
}

// Element is one node found by role and name.
type Element struct {
	tab *Tab
	id  cdp.BackendNodeID
	// Role and Name are what it was found by.
	Role, Name string
}

// Wait returns the first element with the role and accessible name once
// the page shows it.
func (tab *Tab) Wait(role, name string) Element {
	tab.t.Helper()
	var ids []cdp.BackendNodeID
	tab.waitFor(fmt.Sprintf("%s %q", role, name), func() (bool, error) {
		var err error
		ids, err = tab.find(role, name)
		return len(ids) > 0, err
	})
	return Element{tab: tab, id: ids[0], Role: role, Name: name}
}

// WaitGone waits until no element with the role and name is shown.
func (tab *Tab) WaitGone(role, name string) {
	tab.t.Helper()
	tab.waitFor(fmt.Sprintf("%s %q to go", role, name), func() (bool, error) {
		ids, err := tab.find(role, name)
		return err == nil && len(ids) == 0, err
	})
}

// Count is how many elements with the role and name the page shows now.
func (tab *Tab) Count(role, name string) int {
	tab.t.Helper()
	ids, err := tab.find(role, name)
	tab.check(err)
	return len(ids)
}

// Click clicks the element with the mouse, at its centre.
func (tab *Tab) Click(role, name string) { tab.Wait(role, name).Click() }

// Click scrolls the element into view and clicks its centre.
func (e Element) Click() {
	e.tab.t.Helper()
	_, err := chromedp.Call(e.tab.ctx, dom.ScrollIntoViewIfNeeded, dom.ScrollIntoViewIfNeededParams{BackendNodeID: e.id})
	e.tab.check(err)
	quads, err := chromedp.Call(e.tab.ctx, dom.GetContentQuads, dom.GetContentQuadsParams{BackendNodeID: e.id})
	e.tab.check(err)
	if len(quads.Quads) == 0 {
		e.tab.t.Fatalf("%s %q is not on screen", e.Role, e.Name)
	}
	q := quads.Quads[0]
	_, err = chromedp.Run(e.tab.ctx, chromedp.MouseClickXY((q[0]+q[2]+q[4]+q[6])/4, (q[1]+q[3]+q[5]+q[7])/4))
	e.tab.check(err)
}

// Call runs a JavaScript function with the element as this and returns
// its result as JSON text.
func (e Element) Call(function string) string {
	e.tab.t.Helper()
	obj, err := chromedp.Call(e.tab.ctx, dom.ResolveNode, dom.ResolveNodeParams{BackendNodeID: e.id})
	e.tab.check(err)
	yes := true
	res, err := chromedp.Call(e.tab.ctx, runtime.CallFunctionOn, runtime.CallFunctionOnParams{
		FunctionDeclaration: function, ObjectID: obj.Object.ObjectID, ReturnByValue: &yes, AwaitPromise: &yes})
	e.tab.check(err)
	if res.ExceptionDetails != nil {
		e.tab.t.Fatalf("%s on %s %q: %s", function, e.Role, e.Name, res.ExceptionDetails.Text)
	}
	return string(res.Result.Value)
}

// Fill clears a text field found by role and label and types text into it
// key by key, as a user would.
func (tab *Tab) Fill(role, label, text string) {
	tab.t.Helper()
	e := tab.Wait(role, label)
	e.Call(`function() { this.focus(); this.select(); }`)
	_, err := chromedp.Run(tab.ctx, chromedp.KeyEvent("\b"))
	tab.check(err)
	_, err = chromedp.Run(tab.ctx, chromedp.KeyEvent(text))
	tab.check(err)
}

// Choose picks the option with the visible text in a select found by its
// label.
func (tab *Tab) Choose(label, option string) {
	tab.t.Helper()
	quoted, _ := json.Marshal(option) // a string always marshals
	got := tab.Wait("combobox", label).Call(`function() {
		const o = [...this.options].find((o) => o.text === ` + string(quoted) + `);
		if (!o) return false;
		this.value = o.value;
		this.dispatchEvent(new Event('change', { bubbles: true }));
		return true; }`)
	if got != "true" {
		tab.t.Fatalf("select %q has no option %q", label, option)
	}
}

// Press sends keys to the focused element, as typed.
func (tab *Tab) Press(keys string) {
	tab.t.Helper()
	_, err := chromedp.Run(tab.ctx, chromedp.KeyEvent(keys))
	tab.check(err)
}

// Text is the page's visible text.
func (tab *Tab) Text() string {
	text, err := chromedp.Run(tab.ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return text
}

// WaitText waits until the page's visible text contains s.
func (tab *Tab) WaitText(s string) {
	tab.t.Helper()
	tab.waitFor(fmt.Sprintf("the text %q", s), func() (bool, error) { return strings.Contains(tab.Text(), s), nil })
}

// Evaluate runs a JavaScript expression (awaiting a promise) and returns
// its JSON value as text.
func (tab *Tab) Evaluate(expr string) string {
	tab.t.Helper()
	yes := true
	res, err := chromedp.Call(tab.ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: expr, ReturnByValue: &yes, AwaitPromise: &yes})
	tab.check(err)
	if res.ExceptionDetails != nil {
		tab.t.Fatalf("%s: %s", expr, res.ExceptionDetails.Text)
	}
	return string(res.Result.Value)
}

// Screenshot writes the whole page to .local/screenshots/<name>.png.
func (tab *Tab) Screenshot(name string) {
	tab.t.Helper()
	png, err := chromedp.Run(tab.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tab.t.Logf("screenshot %s: %v", name, err)
		return
	}
	root, err := devenv.RepoRoot()
	tab.check(err)
	dir := filepath.Join(root, ".local", "screenshots")
	tab.check(os.MkdirAll(dir, 0o755))
	tab.check(os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}
