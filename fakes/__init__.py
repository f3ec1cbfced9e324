"""Stand-ins for the services this machine cannot reach, as real HTTP servers on loopback.

`fakes.nws` plays api.weather.gov for the tests and the benchmark; `fakes.oidc` plays a Cognito user
pool (an OpenID provider) for the OAuth tests. Both serve through `fakes.loopback`. For the fleet
cache, `fakes.redis_server` runs a private, real redis-server (what ElastiCache for Valkey speaks)
and `fakes.elasticache_iam` plays ElastiCache's IAM authentication in front of it. Nothing in
`server/` or `stacks/` imports this package: it is test and benchmark equipment.
"""
