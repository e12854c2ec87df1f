"""Talking to the proxy: HTTP client, SSE, error bodies, rate limits, parameters, discovery, endpoints."""
