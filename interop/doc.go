// Package interop holds the tests that run Gin Shop beside the Node course's session stack:
// the Express app in express/ (express-session, connect-mongodb-session, connect-flash,
// bcryptjs) is started with node on the same database, cookie name, secret and path, and each
// test checks one direction of sharing logins, flashes, users, carts and orders.
//
// Run `(cd interop/express && npm ci)` once; without node or its modules the tests skip,
// and fail when CI is set (as .ci/run does).
package interop
