import Foundation
import QuicFlowAdminModel
import Testing

/// The label-selector grammar (Kubernetes'), what it selects, and how it
/// refuses a bad selector: with what is wrong and where.
@Suite("Label selectors")
struct LabelSelectorTests {
    @Test("each form parses to its requirements and prints back canonically", arguments: [
        ("", []),
        ("site=berlin", [LabelRequirement(key: "site", operator: .equals("berlin"))]),
        ("site==berlin", [LabelRequirement(key: "site", operator: .equals("berlin"))]),
        ("site = berlin , role != gateway", [
            LabelRequirement(key: "site", operator: .equals("berlin")),
            LabelRequirement(key: "role", operator: .notEquals("gateway")),
        ]),
        ("env in (prod, stage)", [LabelRequirement(key: "env", operator: .in(["prod", "stage"]))]),
        ("env notin (dev)", [LabelRequirement(key: "env", operator: .notIn(["dev"]))]),
        ("!canary", [LabelRequirement(key: "canary", operator: .doesNotExist)]),
        ("tier", [LabelRequirement(key: "tier", operator: .exists)]),
        ("example.com/site=b-1,x.y_z=", [
            LabelRequirement(key: "example.com/site", operator: .equals("b-1")),
            LabelRequirement(key: "x.y_z", operator: .equals("")),
        ]),
    ] as [(String, [LabelRequirement])])
    func parses(text: String, requirements: [LabelRequirement]) throws {
        let selector = try LabelSelector(parsing: text)
        #expect(selector.requirements == requirements)
        #expect(try LabelSelector(parsing: selector.description) == selector, "canonical: \(selector)")
    }

    @Test("canonical text: one form per requirement, set values sorted")
    func canonical() throws {
        #expect(try LabelSelector(parsing: " site == berlin ,env in ( stage,prod ),!canary, tier").description
            == "site=berlin,env in (prod,stage),!canary,tier")
    }

    @Test("what each operator selects; != and notin select devices without the label", arguments: [
        ("site=berlin", ["site": "berlin"], true),
        ("site=berlin", ["site": "paris"], false),
        ("site=berlin", [:], false),
        ("role!=gateway", ["role": "gateway"], false),
        ("role!=gateway", ["role": "sensor"], true),
        ("role!=gateway", [:], true),
        ("env in (prod,stage)", ["env": "stage"], true),
        ("env in (prod,stage)", ["env": "dev"], false),
        ("env in (prod,stage)", [:], false),
        ("env notin (prod)", ["env": "prod"], false),
        ("env notin (prod)", [:], true),
        ("!canary", ["canary": "yes"], false),
        ("!canary", [:], true),
        ("tier", ["tier": ""], true),
        ("tier", [:], false),
        ("site=berlin,role!=gateway", ["site": "berlin", "role": "gateway"], false),
        ("site=berlin,role!=gateway", ["site": "berlin", "role": "camera"], true),
        ("", ["any": "thing"], true),
    ] as [(String, [String: String], Bool)])
    func matches(text: String, labels: [String: String], selected: Bool) throws {
        #expect(try LabelSelector(parsing: text).matches(labels) == selected)
    }

    @Test("a bad selector is refused with what is wrong and its position", arguments: [
        ("site=berl in", 10, "unexpected 'in'; expected ','"),
        ("site=berlin,", 12, "expected a requirement after ','"),
        (",site", 0, "expected a label key, found ','"),
        ("site berlin", 5, "unexpected 'berlin' after label key 'site'"),
        ("env in prod", 7, "expected '(' after 'in'"),
        ("env in (prod", 12, "missing ')' to close the values of 'in'"),
        ("env in ()", 8, "expected a value, found ')'"),
        ("env in (a b)", 10, "unexpected 'b' in the values of 'in'"),
        ("!canary=yes", 7, "only ',' or the end may follow it"),
        ("si@te=1", 0, "label key 'si@te' may hold only letters, digits"),
        ("site=-x", 5, "label value '-x' must start and end with a letter or digit"),
        ("a/b/c", 0, "at most one '/'"),
        ("Example.com/x", 0, "must be a DNS subdomain"),
        ("site=\(String(repeating: "v", count: 64))", 5, "64 characters long; at most 63"),
        ("!", 1, "expected a label key at the end"),
    ] as [(String, Int, String)])
    func refuses(text: String, position: Int, message: String) {
        let error = #expect(throws: LabelSelectorError.self) { try LabelSelector(parsing: text) }
        #expect(error?.position == position, "\(String(describing: error))")
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
        #expect(error?.text == text)
    }

    @Test("the error shows the selector with a caret under the problem")
    func caret() {
        do {
            _ = try LabelSelector(parsing: "site=berl in")
            Issue.record("parsed")
        } catch {
            #expect(error.description == """
                bad label selector at position 11: unexpected 'in'; expected ',' and another requirement, or the end
                  site=berl in
                            ^
                """)
        }
    }

    @Test("in JSON a selector is its text; a bad one fails decoding with the position")
    func json() throws {
        let selector = try JSONDecoder().decode(LabelSelector.self, from: Data(#""env in (b,a)""#.utf8))
        #expect(String(decoding: try JSONEncoder().encode(selector), as: UTF8.self) == #""env in (a,b)""#)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(LabelSelector.self, from: Data(#""env in""#.utf8)) }
    }
}
