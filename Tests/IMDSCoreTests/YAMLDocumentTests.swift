import Testing
@testable import IMDSCore

/// The configuration file through libyaml: values as written, the refusals named by setting,
/// libyaml's own messages with line and column.
@Suite struct YAMLDocumentTests {
    func read(_ text: String) throws(ConfigurationError) -> ConfigValue? {
        try ConfigValue.yamlDocument(Array(text.utf8), file: "imds.yaml")
    }

    func failure(_ text: String) -> ConfigurationError? {
        do { _ = try read(text); return nil } catch { return error }
    }

    @Test func nestedMappingsAndListsKeepTheirOrder() throws {
        let text = """
            role: my-role
            listen: [127.0.0.1:9254, "[::1]:9254"]
            instance:
              region: eu-west-1
              tags:
                Name: web
                team: "a: b"
              network-interfaces:
                - mac: 0e:1a:2b:3c:4d:5f
                  ipv6: [2600:1f18::11]
            """
        let expected: ConfigValue = .map([
            ("role", .scalar("my-role")),
            ("listen", .list([.scalar("127.0.0.1:9254"), .scalar("[::1]:9254")])),
            ("instance", .map([
                ("region", .scalar("eu-west-1")),
                ("tags", .map([("Name", .scalar("web")), ("team", .scalar("a: b"))])),
                ("network-interfaces", .list([.map([("mac", .scalar("0e:1a:2b:3c:4d:5f")), ("ipv6", .list([.scalar("2600:1f18::11")]))])])),
            ])),
        ])
        #expect(try read(text) == expected)
    }

    /// YAML 1.1 would read `no`, `01` and `~` as a boolean, an octal number and null: each
    /// setting reads the text instead.
    @Test func scalarsAreTheirTextAsWritten() throws {
        let text = """
            a: no
            b: 01
            c: ~
            d: 'it''s'
            e: "tab\\tquote\\""
            f: !!int 5
            g:
            h: |
              line one
              line two

            """
        #expect(try read(text) == .map([
            ("a", .scalar("no")), ("b", .scalar("01")), ("c", .scalar("~")), ("d", .scalar("it's")),
            ("e", .scalar("tab\tquote\"")), ("f", .scalar("5")), ("g", .scalar("")), ("h", .scalar("line one\nline two\n")),
        ]))
    }

    @Test func anEmptyFileOrOnlyCommentsHoldsNoDocument() throws {
        #expect(try read("") == nil)
        #expect(try read("# nothing here\n\n") == nil)
        #expect(try read("- a\n- b\n") == .list([.scalar("a"), .scalar("b")]))
    }

    @Test func aliasesAreRefusedUnderTheirSetting() {
        let error = failure("role: &r my-role\ninstance:\n  region: *r\n")
        #expect(error == ConfigurationError(key: "instance.region", "uses a YAML alias; write the value out"))
        #expect(failure("base: &b {a: 1}\nother:\n  <<: *b\n")?.key == "other.<<")
        #expect(failure("listen: [*x]\n")?.description == "listen: uses a YAML alias; write the value out")
    }

    @Test func keysMustBePlainNames() {
        #expect(failure("[a, b]: c\n") == ConfigurationError(key: "config", "has a key that is not a plain name"))
        #expect(failure("instance:\n  {a: 1}: c\n")?.key == "instance")
    }

    @Test func syntaxErrorsSayWhatAndWhere() {
        let error = failure("instance: {region: eu-west-1\nrole: [oops\n")
        #expect(error?.key == "config")
        #expect(error?.problem.hasPrefix("imds.yaml is not valid YAML: line 2, column ") == true, "\(String(describing: error))")
        #expect(error?.problem.contains("while parsing a flow mapping at line 1, column 11") == true, "\(String(describing: error))")
        #expect(failure("a: b\n c: d\n")?.problem == "imds.yaml is not valid YAML: line 2, column 3: mapping values are not allowed in this context")
        #expect(failure("a: \"open\n")?.problem.hasPrefix("imds.yaml is not valid YAML: line 2, column 1: found unexpected end of stream") == true)
    }

    @Test func duplicateKeysAndSecondDocumentsAreNotValid() {
        #expect(failure("role: a\nrole: b\n")?.problem == "imds.yaml is not valid YAML: line 2, column 1: the key 'role' appears twice in one mapping")
        #expect(failure("role: a\n---\nrole: b\n")?.problem
                == "imds.yaml is not valid YAML: line 2, column 1: expected a single document in the stream but found another document")
    }

    @Test func textThatIsNotUTF8IsNotValid() {
        #expect(throws: ConfigurationError(key: "config", "imds.yaml is not valid YAML: invalid leading UTF-8 octet (0xff) at byte 6")) {
            try ConfigValue.yamlDocument(Array("role: ".utf8) + [0xFF, 0x0A], file: "imds.yaml")
        }
    }
}
