"""HTTP plumbing every route shares: one error shape with request ids, body size caps, clean inputs."""
