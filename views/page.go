package views

// Page is what every view needs besides its own data: the includes (head, navigation) read it.
// Page-specific data structs embed it, so templates say {{.Title}} and {{.Products}} alike,
// like the flat locals an EJS view gets.
type Page struct {
	Title           string // pageTitle in the course
	Path            string // marks the active navigation link
	IsAuthenticated bool
	UserEmail       string
	Flashes         []string // one-time messages, like connect-flash
	ErrorMessage    string   // the first validation message of a failed form
	Scripts         []string // extra scripts for this page (under /js/)

	csrfToken func() string
}

// NewPage builds the common part; csrf is called only if the view renders a form, so pages
// without forms never create a session.
func NewPage(title, path string, csrf func() string) Page {
	return Page{Title: title, Path: path, csrfToken: csrf}
}

// CSRFToken is the hidden _csrf value for forms.
func (p Page) CSRFToken() string {
	if p.csrfToken == nil {
		return ""
	}
	return p.csrfToken()
}

// Pagination is what includes/pagination.html needs, named as in the course's controller.
type Pagination struct {
	CurrentPage     int
	HasNextPage     bool
	HasPreviousPage bool
	NextPage        int
	PreviousPage    int
	LastPage        int
}

// NewPagination works out the links for page current of a list of total items.
func NewPagination(current int, total int64, perPage int) Pagination {
	last := int((total + int64(perPage) - 1) / int64(perPage))
	if last < 1 {
		last = 1
	}
	return Pagination{
		CurrentPage:     current,
		HasNextPage:     current < last,
		HasPreviousPage: current > 1,
		NextPage:        current + 1,
		PreviousPage:    current - 1,
		LastPage:        last,
	}
}

// Show reports whether there is more than one page to link to.
func (p Pagination) Show() bool { return p.LastPage > 1 }
