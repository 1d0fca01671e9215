import Testing
@testable import IMDSCore

@Suite struct JSONValueTests {
    @Test func prettyKeepsOrderAndSpacesTheColon() {
        let v = JSONValue.object([("b", .int(1)), ("a", .null), ("c", .array([.string("x"), .bool(true)]))])
        #expect(v.imdsPretty == "{\n  \"b\" : 1,\n  \"a\" : null,\n  \"c\" : [ \"x\", true ]\n}")
        #expect(JSONValue.array([]).imdsPretty == "[]")
    }

    @Test func escapesControlCharactersAndQuotes() {
        let v = JSONValue.object([("k", .string("a\"b\\c\nd\u{01}é"))])
        #expect(v.compact == "{\"k\":\"a\\\"b\\\\c\\nd\\u0001é\"}")
    }
}
