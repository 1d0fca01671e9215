-- Credentials GET with a valid IMDSv2 token (passed as TOKEN in the environment).
local path = os.getenv("CREDS_PATH")
local token = os.getenv("TOKEN")
request = function()
  return wrk.format("GET", path, { ["X-aws-ec2-metadata-token"] = token })
end
