package apptest

import "github.com/ginshop/ginshop/apptest/testserver"

// Server is an embedded database running in a process of its own (package testserver).
type Server = testserver.Server

// StartServer starts one (testserver.Start).
func StartServer(dir, addr string) (*Server, error) { return testserver.Start(dir, addr) }
