// Package interop holds the tests that run Gin Shop beside the Node course's app: the Express
// app in express/ (express-session, connect-mongodb-session, connect-flash, bcryptjs, and the
// course's express.static and product pages as far as images go) is started with node on the
// same database, cookie name, secret, path and public folder, and each test checks one
// direction of sharing logins, flashes, users, carts, orders and product images.
//
// Run `(cd interop/express && npm ci)` once. The tests run whenever node and the fixture's
// modules are there; without them the tests that need the Express app skip, and fail when CI
// is set (as .ci/run does). The tests of NODE_APP_PUBLIC_DIR's folder rules need no node.
package interop
