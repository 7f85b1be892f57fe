import Foundation
import XCTest
import SUEFiles

final class JSONValueTests: XCTestCase {
    func testWritesDeterministicCompactJSON() {
        let value = JSONValue.object([
            "method": .string("sue"), "pairs": .integer(100),
            "x_to_y": .object(["r1": .fixed(41.234, decimals: 1), "r5": .fixed(70, decimals: 1)]),
            "lr": .number(0.001), "big": .number(1e300), "nan": .number(.nan), "ok": .bool(true), "none": .null,
            "list": .array([.integer(-3), .string("a\"b\\c\n\u{1}é🚀")]),
        ])
        XCTAssertEqual(value.text,
            #"{"method":"sue","pairs":100,"x_to_y":{"r1":41.2,"r5":70.0},"lr":0.001,"big":1e+300,"nan":null,"ok":true,"none":null,"list":[-3,"a\"b\\c\n\u0001é🚀"]}"#)
    }

    func testParsesWhatItWrites() throws {
        let value = JSONValue.object([
            "config": .object(["dims": .integer(10), "lambda": .number(1e-4), "se": .string("numeric")]),
            "losses": .array([.number(0.5), .number(-0.25), .number(3)]),
            "text": .string("tab\t \"quoted\" 東京"), "flag": .bool(false), "nothing": .null,
        ])
        let back = try JSONValue.parse(value.text, source: "metadata")
        XCTAssertEqual(back, value)
        XCTAssertEqual(back["config"]?["dims"]?.intValue, 10)
        XCTAssertEqual(back["config"]?["lambda"]?.doubleValue, 1e-4)
        XCTAssertEqual(back["config"]?["se"]?.stringValue, "numeric")
        XCTAssertEqual(back["losses"]?.arrayValue?.count, 3)
        XCTAssertNil(back["missing"])
        XCTAssertEqual(try JSONValue.parse(#" {"a" : [1, 2.5e3, "\u00e9\ud83d\ude80"]} "#, source: "m")["a"],
                       .array([.integer(1), .number(2500), .string("é🚀")]))
    }

    func testRejectsInvalidJSON() {
        for (text, fragment) in [("{\"a\":1,}", "trailing comma"), ("{'a':1}", "expected a string key"),
                                 ("[1 2]", "expected ','"), ("{\"a\":tru}", "'tru'"), ("\"abc", "unterminated"),
                                 ("[1.2.3]", "malformed number"), ("{\"a\":1,\"a\":2}", "duplicate key"), ("1e999", "malformed number")] {
            assertFileError(.malformed, mentions: ["config", "invalid JSON", fragment]) { try JSONValue.parse(text, source: "config") }
        }
    }
}
