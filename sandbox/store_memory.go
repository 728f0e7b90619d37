package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"
)

// MemoryStore behaves like express-session's MemoryStore (session/memory.js): each session is
// kept as the text JSON.stringify(session) gives, an expired one is deleted when it is read,
// and it has touch, which replaces only the stored cookie. Unlike that store it keeps at most
// MaxSessions (the real one grows until the process restarts: the warning it prints in
// production). Its "commands" are its own operations, recorded under their names.
type MemoryStore struct {
	mu       sync.Mutex
	sessions map[string]string
	now      func() time.Time
}

func NewMemoryStore() *MemoryStore {
	return &MemoryStore{sessions: map[string]string{}, now: time.Now}
}

// Get is MemoryStore.prototype.get (getSession).
func (m *MemoryStore) Get(ctx context.Context, id string) (*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cmd := Command{Name: "MemoryStore.get", Detail: memoryKey(id)}
	defer func() { recorderFrom(ctx).add(cmd) }()
	text, ok := m.sessions[id]
	if !ok {
		cmd.Result = "no such session"
		return nil, nil
	}
	s, err := parseSessionJSON(text)
	if err != nil {
		return nil, err
	}
	if !s.Cookie.Expires.After(m.now()) {
		delete(m.sessions, id) // "destroy expired session"
		cmd.Result = "expired: deleted"
		return nil, nil
	}
	cmd.Result = "found"
	return s, nil
}

// Set is MemoryStore.prototype.set: this.sessions[sessionId] = JSON.stringify(session).
func (m *MemoryStore) Set(ctx context.Context, id string, sess *Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	text := sessionJSON(sess)
	m.sessions[id] = text
	recorderFrom(ctx).add(Command{Name: "MemoryStore.set", Detail: memoryKey(id) + " = " + shortenText(text), Result: "stored"})
	return nil
}

// Touch is MemoryStore.prototype.touch: the stored session gets the request's cookie (its new
// expiry); its data stays as stored.
func (m *MemoryStore) Touch(ctx context.Context, id string, sess *Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cmd := Command{Name: "MemoryStore.touch", Detail: memoryKey(id) + ".cookie = session.cookie", Result: "no such session"}
	defer func() { recorderFrom(ctx).add(cmd) }()
	text, ok := m.sessions[id]
	if !ok {
		return nil
	}
	current, err := parseSessionJSON(text)
	if err != nil {
		return err
	}
	current.Cookie = sess.Cookie
	m.sessions[id] = sessionJSON(current)
	cmd.Result = "expires moved to " + sess.Cookie.Expires.UTC().Format(time.RFC3339)
	return nil
}

// Document is the stored text, indented.
func (m *MemoryStore) Document(_ context.Context, id string) (string, error) {
	m.mu.Lock()
	text, ok := m.sessions[id]
	m.mu.Unlock()
	if !ok {
		return "", nil
	}
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(text), "", "  "); err != nil {
		return "", err
	}
	return memoryKey(id) + " = JSON text:\n" + b.String(), nil
}

// Clear empties the store: what restarting the server does to a MemoryStore.
func (m *MemoryStore) Clear() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.sessions)
}

// Len is how many sessions the store holds.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sessions)
}

// makeRoom keeps at most MaxSessions: expired sessions go first, then those closest to expiry.
func (m *MemoryStore) makeRoom(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.sessions) < MaxSessions {
		return nil
	}
	type entry struct {
		id      string
		expires time.Time
	}
	var all []entry
	for id, text := range m.sessions {
		s, err := parseSessionJSON(text)
		if err != nil || !s.Cookie.Expires.After(m.now()) {
			delete(m.sessions, id)
			continue
		}
		all = append(all, entry{id, s.Cookie.Expires})
	}
	slices.SortFunc(all, func(a, b entry) int { return a.expires.Compare(b.expires) })
	for i := 0; len(m.sessions) >= MaxSessions; i++ {
		delete(m.sessions, all[i].id)
	}
	return nil
}

func memoryKey(id string) string { return `this.sessions["` + shorten(id) + `"]` }

// cookieJSON is session.cookie as JSON.stringify writes it (Cookie.prototype.toJSON: its data).
type cookieJSON struct {
	OriginalMaxAge int64     `json:"originalMaxAge"`
	Expires        time.Time `json:"expires"`
	HTTPOnly       bool      `json:"httpOnly"`
	Path           string    `json:"path"`
	SameSite       string    `json:"sameSite"`
}

// sessionJSON is JSON.stringify(session): the cookie first, then the data.
func sessionJSON(s *Session) string {
	var b bytes.Buffer
	c := s.Cookie
	cj, _ := json.Marshal(cookieJSON{int64(c.OriginalMaxAge / time.Millisecond), c.Expires.UTC().Truncate(time.Millisecond),
		c.HTTPOnly, c.Path, c.SameSite})
	b.WriteString(`{"cookie":`)
	b.Write(cj)
	for _, k := range sortedKeys(s.Data) {
		kj, _ := json.Marshal(k)
		vj, _ := json.Marshal(s.Data[k])
		b.WriteString("," + string(kj) + ":" + string(vj))
	}
	b.WriteString("}")
	return b.String()
}

func parseSessionJSON(text string) (*Session, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &fields); err != nil {
		return nil, err
	}
	s := &Session{Data: map[string]string{}}
	for k, v := range fields {
		if k == "cookie" {
			var c cookieJSON
			if err := json.Unmarshal(v, &c); err != nil {
				return nil, err
			}
			s.Cookie = Cookie{time.Duration(c.OriginalMaxAge) * time.Millisecond, c.Expires, c.HTTPOnly, c.Path, c.SameSite}
			continue
		}
		var str string
		if json.Unmarshal(v, &str) == nil {
			s.Data[k] = str
		}
	}
	return s, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
