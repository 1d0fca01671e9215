/// The XHTML error page real IMDS sends with 400/401/403/404 (see docs/imds-behaviour.md §1.6).
/// No SDK parses it, but tools that log error bodies and humans reading curl output see it.
public enum ErrorPage {
    public static func response(_ status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders(),
                                annotation: AccessAnnotation = AccessAnnotation()) -> Response {
        var headers = headers
        headers.add("Content-Type", "text/html")
        return Response(status: status, headers: headers, body: body(status), annotation: annotation)
    }

    public static func body(_ status: HTTPStatus) -> String {
        let title = "\(status.code) - \(status.reason)"
        return """
        <?xml version="1.0" encoding="iso-8859-1"?>
        <!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
        \t"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
        <html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
         <head>
          <title>\(title)</title>
         </head>
         <body>
          <h1>\(title)</h1>
         </body>
        </html>

        """
    }
}
