package controllers

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/views"
)

// mailboxSize is how many of the newest mails /dev/mailbox shows.
const mailboxSize = 20

type mailboxData struct {
	views.Page
	Mails  []mailView
	Outbox bool // false: SMTP_URL is set, so new mail goes to the server, not here
}

type mailView struct {
	To, Subject, SentAt string
	Lines               []mailLine
}

// mailLine is a line of a mail's text; a line that is a web address becomes clickable.
type mailLine struct {
	Text string
	Link bool
}

// devMailbox reports whether mail goes to the development outbox that /dev/mailbox shows.
func (ctl *Controllers) devMailbox() bool {
	return !ctl.Config.IsProduction() && ctl.Config.SMTPURL == ""
}

// DevMailbox is GET /dev/mailbox, development only (routes.go does not register it in
// production): the newest mails of the outbox, so a student can follow a reset link without a
// mail server.
func (ctl *Controllers) DevMailbox(c *gin.Context) {
	mails, err := ctl.Models.Mails.Recent(c.Request.Context(), mailboxSize)
	if err != nil {
		ctl.fail(c, err)
		return
	}
	data := mailboxData{Page: ctl.page(c, "Mailbox", "/dev/mailbox"), Outbox: ctl.devMailbox()}
	for _, m := range mails {
		v := mailView{To: m.To, Subject: m.Subject, SentAt: m.CreatedAt.Local().Format("2006-01-02 15:04:05")}
		for _, line := range strings.Split(strings.TrimRight(m.Text, "\n"), "\n") {
			v.Lines = append(v.Lines, mailLine{Text: line, Link: isLink(line)})
		}
		data.Mails = append(data.Mails, v)
	}
	ctl.render(c, http.StatusOK, "dev/mailbox", data)
}

func isLink(line string) bool {
	return (strings.HasPrefix(line, "http://") || strings.HasPrefix(line, "https://")) && !strings.ContainsAny(line, " \t")
}
