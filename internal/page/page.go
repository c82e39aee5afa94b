// Package page holds what every paginated listing shares: an opaque cursor
// from the storage layer and the limits of a page.
package page

import "errors"

// ErrBadCursor means a cursor was not one a previous page handed out.
var ErrBadCursor = errors.New("invalid page cursor")

// Page sizes: the default and the largest a caller may ask for.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)
