-- wrk script: create messages through the Svix-compatible API with a ~1 KB booking payload.
local token = os.getenv("HOOKD_TOKEN") or "bench-token"
local app = os.getenv("HOOKD_APP") or "bench"
wrk.method = "POST"
wrk.path = "/api/v1/app/" .. app .. "/msg"
wrk.headers["authorization"] = "Bearer " .. token
wrk.headers["content-type"] = "application/json"
local f = assert(io.open(os.getenv("HOOKD_PAYLOAD_FILE"), "r"))
wrk.body = f:read("*a")
f:close()
