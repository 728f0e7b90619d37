package controllers

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/mail"
)

// sendMail hands msg to the mailer. A mail that cannot be sent is logged and does not change the
// answer: the account exists either way, and the reset answer must not differ between accounts.
func (ctl *Controllers) sendMail(c *gin.Context, msg mail.Message) {
	if err := ctl.Mailer.Send(c.Request.Context(), msg); err != nil {
		ctl.Logger.Error("send mail", "subject", msg.Subject, "err", err)
	}
}

// siteURL is the shop's address for the links in mail, which must be absolute: PUBLIC_URL when
// set, else the address this request reached (scheme and Host). Without PUBLIC_URL a visitor who
// forges the Host header chooses the host of a reset link someone else receives, which is why
// production should set it. Production runs behind HTTPS (its cookies are Secure), so links there
// are https.
func (ctl *Controllers) siteURL(c *gin.Context) string {
	if ctl.Config.PublicURL != "" {
		return ctl.Config.PublicURL
	}
	scheme := "http"
	if c.Request.TLS != nil || ctl.Config.IsProduction() {
		scheme = "https"
	}
	host := c.Request.Host
	if !validHost(host) {
		host = "localhost"
	}
	return scheme + "://" + host
}

// validHost accepts host[:port] and [ipv6]:port: letters, digits and . - : [ ] only, so a forged
// Host header cannot smuggle a path, a user part or markup into a link.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	return strings.IndexFunc(h, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-:[]", r))
	}) < 0
}
