-- Token PUT, as every SDK sends it.
request = function()
  return wrk.format("PUT", "/latest/api/token", { ["X-aws-ec2-metadata-token-ttl-seconds"] = "21600" })
end
