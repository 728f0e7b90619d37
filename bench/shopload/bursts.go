package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync"
	"time"
)

// bursts sends 50 logins through the real form at the same moment (bcrypt at the shop's own
// cost 12), then 200 page views at once (anonymous /products and logged-in /cart), and reports
// how many failed: they should all queue, none fail.
func bursts(shop *shopProcess, out io.Writer) error {
	v, err := logIn(shop.url)
	if err != nil {
		return err
	}
	type visitorForm struct {
		client *http.Client
		form   url.Values
	}
	const logins, views = 50, 200
	// 50 different accounts, signed up through the real form first: 50 logins to one account
	// from one address would (rightly) meet the login throttle after 5.
	forms := make([]visitorForm, logins)
	for i := range forms {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		form := func(page string) (url.Values, error) {
			res, err := c.Get(shop.url + page)
			if err != nil {
				return nil, err
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			m := csrfField.FindSubmatch(b)
			if m == nil {
				return nil, fmt.Errorf("no _csrf on %s", page)
			}
			return url.Values{"_csrf": {string(m[1])}}, nil
		}
		email, password := fmt.Sprintf("burst%d@example.com", i), "burst-password"
		signup, err := form("/signup")
		if err != nil {
			return err
		}
		signup.Set("email", email)
		signup.Set("password", password)
		signup.Set("confirmPassword", password)
		res, err := c.PostForm(shop.url+"/signup", signup)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			return fmt.Errorf("signup %s: status %d", email, res.StatusCode)
		}
		login, err := form("/login")
		if err != nil {
			return err
		}
		login.Set("email", email)
		login.Set("password", password)
		forms[i] = visitorForm{c, login}
	}
	report := func(name string, n int, send func(i int) (*http.Response, error), ok int) {
		statuses := make([]int, n)
		start := make(chan struct{})
		began := time.Now()
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				res, err := send(i)
				if err != nil {
					return // status 0: a transport error
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				statuses[i] = res.StatusCode
			})
		}
		close(start)
		wg.Wait()
		failed := map[int]int{}
		for _, st := range statuses {
			if st != ok {
				failed[st]++
			}
		}
		text := "0"
		if len(failed) > 0 {
			text = fmt.Sprint(failed) // status → count; 0 is a transport error
		}
		fmt.Fprintf(out, "| %s | %d | %s | %s |\n", name, n, text, time.Since(began).Round(10*time.Millisecond))
	}
	fmt.Fprintf(out, "\n## Bursts (all requests sent at the same moment)\n\n| burst | requests | failed (not the expected status) | until the last answer |\n|---|---|---|---|\n")
	report("POST /login of 50 accounts, bcrypt cost 12, expecting 303", logins, func(i int) (*http.Response, error) {
		return forms[i].client.PostForm(shop.url+"/login", forms[i].form)
	}, http.StatusSeeOther)
	client := &http.Client{Timeout: time.Minute}
	report("GET /products anonymous and /cart logged in, expecting 200", views, func(i int) (*http.Response, error) {
		if i%2 == 0 {
			return client.Get(shop.url + "/products")
		}
		req, _ := http.NewRequest("GET", shop.url+"/cart", nil)
		req.Header.Set("Cookie", v.cookie)
		return client.Do(req)
	}, http.StatusOK)
	return nil
}
