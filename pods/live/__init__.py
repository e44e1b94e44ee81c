"""The live layer: change messages after commit, the WebSocket consumers that forward them, routing.

- `broadcast`: the one path from a committed batch to the channel layer, and the names of its groups.
- `subscriptions`: what an overview socket asked to see (pure).
- `consumers`: thin Channels consumers (authenticate, join groups, filter, forward).
- `routing`: the WebSocket URL patterns.

Domain code never imports Channels; it calls `broadcast.publish_pod_changes`.
"""
