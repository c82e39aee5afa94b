package referral

import (
	"github.com/partnerloop/partnerloop/internal/fraud"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/partner"
)

// Customer is the buyer an order names: its id, the keyed hash of its
// e-mail, and what the fraud rules read of the e-mail (the keyed hash of
// its normalised form and its domain). The address itself is kept nowhere.
func (h EmailHasher) Customer(id, email string) ledger.Customer {
	return ledger.Customer{ID: id, EmailHash: h.Hash(email), NormalHash: h.Hash(fraud.NormalizeEmail(email)), Domain: fraud.EmailDomain(email)}
}

// screened is what the fraud rules know of the credited partner, from
// what attribution read of it (its code item carries both addresses).
func (s *Service) screened(p partner.Referrer) fraud.Partner {
	hashes := []string{s.Hasher.Hash(fraud.NormalizeEmail(p.Email))}
	if p.PayoutEmail != "" {
		hashes = append(hashes, s.Hasher.Hash(fraud.NormalizeEmail(p.PayoutEmail)))
	}
	return fraud.Partner{ID: p.ID, EmailHashes: hashes, Domain: fraud.EmailDomain(p.Email)}
}
