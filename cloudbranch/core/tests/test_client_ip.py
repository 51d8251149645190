"""The client address behind the reverse proxy: X-Forwarded-For only from a trusted proxy."""

from django.test import RequestFactory, override_settings

from cloudbranch.core.middleware import client_ip

rf = RequestFactory()


def _request(peer: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **extra)


@override_settings(TRUSTED_PROXIES=["127.0.0.1", "10.0.0.5"])
def test_forwarded_address_believed_from_a_trusted_proxy_only():
    assert client_ip(_request("127.0.0.1", "203.0.113.9")) == "203.0.113.9"
    # a client's own forged entry sits left of the one the proxy appended
    assert client_ip(_request("127.0.0.1", "198.51.100.1, 203.0.113.9")) == "203.0.113.9"
    # two proxies (load balancer, then nginx): the right-most untrusted hop is the client
    assert client_ip(_request("127.0.0.1", "203.0.113.9, 10.0.0.5")) == "203.0.113.9"
    # a Unix socket (no peer address) is reachable by the proxy only
    assert client_ip(_request("", "203.0.113.9")) == "203.0.113.9"
    # from anyone else the header is ignored; garbage is ignored too
    assert client_ip(_request("198.51.100.7", "203.0.113.9")) == "198.51.100.7"
    assert client_ip(_request("127.0.0.1", "not-an-ip")) == "127.0.0.1"
    assert client_ip(_request("127.0.0.1")) == "127.0.0.1"


@override_settings(TRUSTED_PROXIES=[])
def test_no_trusted_proxy_means_the_peer():
    assert client_ip(_request("127.0.0.1", "203.0.113.9")) == "127.0.0.1"
