"""Thin routers: parse the request, call one function, shape the answer."""
