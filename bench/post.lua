-- wrk script: POST a 1 KB body (the ceiling baseline against nginx).
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.body = string.rep("x", 1024)
