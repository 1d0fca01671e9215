-- The SDK sequence: token PUT, role list, credentials; each on its own connection.
local path = os.getenv("CREDS_PATH")
local token = os.getenv("TOKEN")
local step = 0
request = function()
  step = step % 3 + 1
  if step == 1 then
    return wrk.format("PUT", "/latest/api/token", { ["X-aws-ec2-metadata-token-ttl-seconds"] = "21600" })
  elseif step == 2 then
    return wrk.format("GET", "/latest/meta-data/iam/security-credentials/", { ["X-aws-ec2-metadata-token"] = token })
  end
  return wrk.format("GET", path, { ["X-aws-ec2-metadata-token"] = token })
end
