extension IMDSService {
    static let tokenHeader = "X-aws-ec2-metadata-token"

    /// Every path but the token endpoint: authorise, then route into the tree.
    func metadataEndpoint(_ request: Request, path: RequestPath) -> Response {
        guard request.method == .get || request.method == .head else {
            return Response(status: 405, headers: HTTPHeaders([("Allow", "GET, HEAD"), ("Content-Type", "text/plain")]))
        }
        let version: IMDSVersion
        // Room for the TTL and the three headers of a text answer, so that adding them never
        // grows the array.
        var headers = HTTPHeaders(capacity: 4)
        if let token = request.headers[Self.tokenHeader] {
            // A bad token is refused even when tokens are optional, as EC2 does (rule 5).
            guard case .valid(let secondsLeft) = checkToken(token) else {
                return ErrorPage.response(401)
            }
            version = .v2
            headers.add(Self.ttlHeader, String(secondsLeft))
        } else if settings.imdsv1Enabled {
            version = .v1
        } else {
            return ErrorPage.response(401, annotation: AccessAnnotation(imdsVersion: .v1))
        }
        let annotation = AccessAnnotation(imdsVersion: version)

        guard let apiVersion = path.version else {
            return text(APIVersions.listing, headers: headers, lastModified: startTimeHTTP, annotation: annotation)
        }
        guard APIVersions.known.contains(String(apiVersion)) else {
            return ErrorPage.response(404, headers: headers, annotation: annotation)
        }
        let key = path.rest.utf8.last == UInt8(ascii: "/") ? String(path.rest.dropLast()) : String(path.rest)
        switch tree(for: request).node(at: key) {
        case nil:
            return ErrorPage.response(404, headers: headers, annotation: annotation)
        case .directory(let listing)?:
            // With or without its trailing slash: real instances have answered both with the
            // listing since about 2020 (the 301 of older captures is gone), and the Rust SDK
            // and smithy's Python provider ask for `iam/security-credentials` without the slash
            // and follow no redirect.
            return text(listing, headers: headers, lastModified: startTimeHTTP, annotation: annotation)
        case .leaf(let content)?:
            return leaf(content, at: key, headers: headers, annotation: annotation)
        }
    }

    /// `headers` is consumed, as in `text`, so that adding to it does not copy it.
    private func leaf(_ content: MetadataTree.Content, at path: String, headers: consuming HTTPHeaders,
                      annotation: AccessAnnotation) -> Response {
        switch content {
        case .text(let value):
            return text(value, headers: headers, lastModified: lastModifiedHTTP(path), annotation: annotation)
        case .userData(let data):
            headers.add("Content-Type", "application/octet-stream")
            headers.add("Accept-Ranges", "none")
            headers.add("Last-Modified", lastModifiedHTTP(path))
            return Response(status: 200, headers: headers, body: data, annotation: annotation)
        case .credentials(let role), .extendedCredentials(let role):
            guard canServeCredentials, let accessKeyId = credentials?.accessKeyId else {
                // Never hand out an expired set (unless a test asked for it); clients retry
                // or move down their chain.
                return unavailable(headers: headers, annotation: annotation)
            }
            var annotation = annotation
            annotation.role = role
            annotation.accessKeyId = accessKeyId
            let body = content == .credentials(role: role) ? credentialBody : extendedCredentialBody
            return text(body, headers: headers, lastModified: credentialsUpdatedHTTP, annotation: annotation)
        case .identitySignature(let part):
            guard let signed = signatures() else {
                var annotation = annotation
                annotation.error = "the identity document could not be signed"
                return ErrorPage.response(500, headers: headers, annotation: annotation)
            }
            return text(signed[part], headers: headers, lastModified: lastModifiedHTTP(path), annotation: annotation)
        case .instanceProfileInfo:
            guard credentials != nil else {
                return unavailable(headers: headers, annotation: annotation)
            }
            return text(profileInfoBody, headers: headers, lastModified: credentialsUpdatedHTTP, annotation: annotation)
        case .identityCredentials, .identityCredentialsInfo:
            refreshIdentityCredentials()
            guard let set = identityCredentials.current else {
                return unavailable(headers: headers, annotation: annotation)
            }
            var annotation = annotation
            let body: String
            if content == .identityCredentials {
                annotation.role = "ec2-instance"
                annotation.accessKeyId = set.accessKeyId
                body = identityCredentialBody
            } else {
                body = identityInfoBody
            }
            return text(body, headers: headers, lastModified: identityUpdatedHTTP, annotation: annotation)
        }
    }

    /// 500 for a credential path with no usable set, saying why in the access log.
    private func unavailable(headers: HTTPHeaders, annotation: AccessAnnotation) -> Response {
        var annotation = annotation
        let cause = refreshError.map { "; last refresh failed: \($0)" } ?? ""
        if let set = credentials {
            annotation.error = "credentials expired at \(set.expiration.iso8601)\(cause)"
        } else {
            annotation.error = "no credentials fetched yet\(cause)"
        }
        var response = ErrorPage.response(500, headers: headers, annotation: annotation)
        response.holdForCredentials = credentials == nil && awaitingFirstSet
        return response
    }

    /// `lastModified` is the HTTP date of the value's last change. `headers` is consumed: the
    /// caller's array, made with room for these, is added to in place rather than copied.
    private func text(_ body: String, headers: consuming HTTPHeaders, lastModified: String,
                      annotation: AccessAnnotation) -> Response {
        headers.add("Content-Type", "text/plain")
        headers.add("Accept-Ranges", "none")
        headers.add("Last-Modified", lastModified)
        return Response(status: 200, headers: headers, body: body, annotation: annotation)
    }
}
