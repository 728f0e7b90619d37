// A minimal Express app with the Node course's session stack, for the Go tests in interop/:
// express-session + connect-mongodb-session + connect-flash, logging in against the same
// `users` collection as Gin Shop (bcryptjs, email matched exactly as the course does), and
// answering JSON so the tests can read req.session. Not a shop: only what the tests need, plus
// the course's product pages as far as images go (express.static on public/, and
// <img src="<%= product.imageUrl %>"> printed as stored).
//
// Environment: MONGODB_URI, MONGODB_DB, SESSION_SECRET, SESSION_NAME (connect.sid), PORT,
// PUBLIC_DIR (default: public/ beside this file; the tests use a copy, which Gin Shop writes to).
// It prints "listening on <port>" once it accepts requests.
'use strict';

const path = require('path');

const express = require('express');
const session = require('express-session');
const MongoDBStore = require('connect-mongodb-session')(session);
const flash = require('connect-flash');
const bcrypt = require('bcryptjs');
const { MongoClient, ObjectId } = require('mongodb');

const env = name => {
  const v = process.env[name];
  if (!v) {
    console.error(`${name} is required`);
    process.exit(2);
  }
  return v;
};
const MONGODB_URI = env('MONGODB_URI');
const MONGODB_DB = env('MONGODB_DB');
const SESSION_SECRET = env('SESSION_SECRET');
const SESSION_NAME = process.env.SESSION_NAME || 'connect.sid';
const PORT = Number(process.env.PORT || 0);
const PUBLIC_DIR = process.env.PUBLIC_DIR || path.join(__dirname, 'public');

const store = new MongoDBStore({ uri: MONGODB_URI, databaseName: MONGODB_DB, collection: 'sessions' });
// FerretDB v1 refuses the TTL index the store creates at start-up: log it, as the course app does.
store.on('error', err => console.error('session store:', err.message));

const client = new MongoClient(MONGODB_URI);
const db = client.db(MONGODB_DB);
const users = db.collection('users');
const products = db.collection('products');
const orders = db.collection('orders');

const app = express();
app.use(express.urlencoded({ extended: false }));
app.use(express.static(PUBLIC_DIR)); // the course's app.use(express.static(path.join(__dirname, 'public')))
app.use(
  session({
    secret: SESSION_SECRET.split(','),
    name: SESSION_NAME,
    resave: false,
    saveUninitialized: false,
    store: store
  })
);
app.use(flash());

const wrap = fn => (req, res, next) => fn(req, res).catch(next);
const save = req => new Promise((resolve, reject) => req.session.save(err => (err ? reject(err) : resolve())));

// req.session as JSON, without consuming anything (connect-flash is not called).
app.get('/session', (req, res) => {
  res.json({ id: req.sessionID, session: req.session });
});

// The course's postSignup: the email is stored as typed.
app.post('/signup', wrap(async (req, res) => {
  const { email, password } = req.body;
  if (await users.findOne({ email })) {
    return res.status(422).json({ error: 'E-Mail exists already' });
  }
  // The course's cost, 12; the tests lower it (BCRYPT_COST) as Gin Shop's own tests do: under
  // -race, Gin Shop's check of a cost-12 hash takes seconds.
  const hash = await bcrypt.hash(password, Number(process.env.BCRYPT_COST || 12));
  const r = await users.insertOne({ email, password: hash, cart: { items: [] }, __v: 0 });
  res.status(201).json({ _id: r.insertedId });
}));

// The course's postLogin: User.findOne({email}), bcrypt.compare, the whole user in the session.
app.post('/login', wrap(async (req, res) => {
  const { email, password } = req.body;
  const user = await users.findOne({ email });
  if (!user || !(await bcrypt.compare(password, user.password))) {
    req.flash('error', 'Invalid email or password.');
    await save(req);
    return res.status(401).json({ error: 'Invalid email or password.' });
  }
  req.session.isLoggedIn = true;
  req.session.user = user;
  await save(req);
  res.json({ ok: true });
}));

// The course's postLogout: req.session.destroy, no clearCookie.
app.post('/logout', (req, res, next) => {
  req.session.destroy(err => (err ? next(err) : res.json({ ok: true })));
});

// req.flash(type, message).
app.post('/flash', wrap(async (req, res) => {
  req.flash(req.body.type, req.body.message);
  await save(req);
  res.json({ ok: true });
}));

// req.flash(type): reads and removes the messages of one type.
app.get('/flash/:type', wrap(async (req, res) => {
  const messages = req.flash(req.params.type);
  await save(req);
  res.json({ messages });
}));

const currentUser = async req => {
  if (!req.session.isLoggedIn || !req.session.user) return null;
  return users.findOne({ _id: new ObjectId(String(req.session.user._id)) });
};

// user.addToCart(product), the way mongoose stores it: every new line gets an _id.
app.post('/cart', wrap(async (req, res) => {
  const user = await currentUser(req);
  if (!user) return res.status(401).json({ error: 'not logged in' });
  const productId = new ObjectId(String(req.body.productId));
  const items = user.cart.items;
  const line = items.find(i => i.productId.equals(productId));
  if (line) {
    line.quantity += 1;
  } else {
    items.push({ productId, quantity: 1, _id: new ObjectId() });
  }
  await users.updateOne({ _id: user._id }, { $set: { 'cart.items': items } });
  res.json({ ok: true });
}));

// getCart with populate: a line whose product is gone makes the course app crash
// (i.productId._doc of null); this fixture answers 500 in that case.
app.get('/cart', wrap(async (req, res) => {
  const user = await currentUser(req);
  if (!user) return res.status(401).json({ error: 'not logged in' });
  const lines = [];
  for (const i of user.cart.items) {
    const product = await products.findOne({ _id: i.productId });
    if (!product) return res.status(500).json({ error: `cart line ${i.productId} has no product` });
    lines.push({ title: product.title, quantity: i.quantity });
  }
  res.json({ email: user.email, lines });
}));

// postOrder: an order without createdAt, then clearCart.
app.post('/create-order', wrap(async (req, res) => {
  const user = await currentUser(req);
  if (!user) return res.status(401).json({ error: 'not logged in' });
  const lines = [];
  for (const i of user.cart.items) {
    const product = await products.findOne({ _id: i.productId });
    if (product) lines.push({ product: { ...product }, quantity: i.quantity, _id: new ObjectId() });
  }
  const r = await orders.insertOne({ products: lines, user: { email: user.email, userId: user._id }, __v: 0 });
  await users.updateOne({ _id: user._id }, { $set: { cart: { items: [] } } });
  res.json({ _id: r.insertedId });
}));

// The course's postAddProduct: imageUrl is the URL typed in the form, stored as it is.
app.post('/admin/add-product', wrap(async (req, res) => {
  const user = await currentUser(req);
  if (!user) return res.status(401).json({ error: 'not logged in' });
  const { title, imageUrl, price, description } = req.body;
  const r = await products.insertOne({ title, price: Number(price), description, imageUrl, userId: user._id, __v: 0 });
  res.status(201).json({ _id: r.insertedId });
}));

// What EJS's <%= %> does to a value.
const escapeHTML = s => String(s).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]);
const card = p => `<article class="card product-item"><h1 class="product__title">${escapeHTML(p.title)}</h1>` +
  `<div class="card__image"><img src="${escapeHTML(p.imageUrl)}" alt="${escapeHTML(p.title)}"></div></article>`;

// shop/product-list.ejs, reduced to what images need: every product's card.
app.get('/products', wrap(async (req, res) => {
  const all = await products.find({}).toArray();
  res.type('html').send(`<!DOCTYPE html><main>${all.map(card).join('')}</main>`);
}));

// shop/product-detail.ejs: <img src="<%= product.imageUrl %>">.
app.get('/products/:productId', wrap(async (req, res) => {
  if (!ObjectId.isValid(req.params.productId)) return res.status(404).send('Page Not Found!');
  const p = await products.findOne({ _id: new ObjectId(req.params.productId) });
  if (!p) return res.status(404).send('Page Not Found!');
  res.type('html').send(`<!DOCTYPE html><main>${card(p)}</main>`);
}));

app.use((err, req, res, next) => {
  console.error(err);
  res.status(500).json({ error: err.message });
});

client.connect().then(() => {
  const server = app.listen(PORT, '127.0.0.1', () => {
    console.log(`listening on ${server.address().port}`);
  });
}).catch(err => {
  console.error(err);
  process.exit(1);
});
