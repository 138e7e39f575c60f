"""The HTTP side: the server and its routes (`server.py`), content negotiation, the
connection ceiling and deadlines, the status page, the web config (TLS, basic auth) with its
throttle on failed passwords, and the image's health check."""
