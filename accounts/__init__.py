"""Accounts: who may use Initscope and what they did (docs/operations.md "API tokens", "Audit log",
"Limits").

- `models`: `ApiToken` (read-only API tokens, stored hashed) and `AuditEvent` (the audit log).
- `tokens`: making and checking a token's key (pure).
- `authentication`, `permissions`, `throttling`: the DRF side of tokens and the API's rate limits.
- `audit`: `record(actor, action, target, detail)`, the one way into the audit log; `signals` connects
  sign-ins, sign-in failures and grant changes to it.
- `limits`: the sign-in lockout's answer (django-axes counts the failures).
- `views`: the signed-in user's Tokens page; `admin`: tokens and the read-only audit log.
"""
