package bench

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/models"
)

// BenchmarkLogin is POST /login of the demo user, whose hash here has bcrypt's lowest cost
// (about 1 ms), so what it measures is the shop's own work: the throttles, the user lookup, the
// new session. Each login comes from a visitor without a session, as after a logout:
//
//	go test -run '^$' -bench Login -benchtime 300x ./bench/
func BenchmarkLogin(b *testing.B) {
	shop := apptest.StartDefault(b)
	form := func(c *apptest.Client) url.Values {
		return url.Values{"email": {models.DemoEmail}, "password": {models.DemoPassword}, "_csrf": {c.CSRF("/login")}}
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		c := shop.Client(b)
		f := form(c)
		b.StartTimer()
		if res := c.PostForm("/login", f); res.StatusCode != http.StatusSeeOther {
			b.Fatalf("login: status %d", res.StatusCode)
		}
	}
}
