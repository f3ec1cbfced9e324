"""Stand-ins for the services this machine cannot reach, as real HTTP servers on loopback.

`fakes.nws` plays api.weather.gov for the tests and the benchmark; `fakes.oidc` plays a Cognito user
pool (an OpenID provider) for the OAuth tests. Both serve through `fakes.loopback`. Nothing in
`server/` or `stacks/` imports this package: it is test and benchmark equipment.
"""
