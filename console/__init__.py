"""The console owns what operators see and do: the REST API under /api, the websocket stream of alert
snapshots and versioned deltas at /ws/alerts, the operator web page at /, health and metrics endpoints,
and the API docs served from the hub itself (no CDN)."""
