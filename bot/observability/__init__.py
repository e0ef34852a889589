"""What an operator watches: ``/healthz`` (is this process fit to serve) and ``/metrics``
(Prometheus text). The Prometheus client library is imported only here."""
