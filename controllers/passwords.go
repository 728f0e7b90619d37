package controllers

import (
	"context"
	"runtime"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Passwords hashes and checks passwords with bcrypt (the course's bcrypt.hash and
// bcrypt.compare), at most one at a time per CPU. bcrypt is pure CPU work, about a quarter of a
// second at cost 12: fifty logins at once would otherwise share the CPUs fifty ways and starve
// every other request's database work (their own session writes included) until it timed out.
// Queued, each login waits its turn and every request still gets its answer.
type Passwords struct {
	cost  int
	slots chan struct{}

	dummyOnce sync.Once
	dummy     []byte
}

// NewPasswords hashes at the given bcrypt cost.
func NewPasswords(cost int) *Passwords {
	return &Passwords{cost: cost, slots: make(chan struct{}, runtime.GOMAXPROCS(0))}
}

// Hash is bcrypt.hash(password, cost).
func (p *Passwords) Hash(ctx context.Context, password string) (string, error) {
	if err := p.acquire(ctx); err != nil {
		return "", err
	}
	defer p.release()
	h, err := bcrypt.GenerateFromPassword([]byte(password), p.cost)
	return string(h), err
}

// Matches is bcrypt.compare(password, hash). An empty hash (no such account) is compared with a
// dummy hash of the same cost, so the answer takes as long as a wrong password and timing does
// not tell which accounts exist; it never matches.
func (p *Passwords) Matches(ctx context.Context, hash, password string) (bool, error) {
	if err := p.acquire(ctx); err != nil {
		return false, err
	}
	defer p.release()
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(p.dummyHash(), []byte(password))
		return false, nil
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil, nil
}

// dummyHash is made once, on the first login of an unknown email.
func (p *Passwords) dummyHash() []byte {
	p.dummyOnce.Do(func() {
		h, err := bcrypt.GenerateFromPassword([]byte("no account has this password"), p.cost)
		if err != nil {
			panic(err) // only for a cost outside bcrypt's range, which config never sets
		}
		p.dummy = h
	})
	return p.dummy
}

func (p *Passwords) acquire(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Passwords) release() { <-p.slots }
