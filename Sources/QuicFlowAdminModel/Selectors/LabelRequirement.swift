/// One requirement of a ``LabelSelector``: a label key and what its value must be.
public struct LabelRequirement: Sendable, Hashable {
    /// What the requirement asks of the key's value.
    public enum Operator: Sendable, Hashable {
        /// `key=value` or `key==value`: present, with this value.
        case equals(String)
        /// `key!=value`: absent, or with another value.
        case notEquals(String)
        /// `key in (a,b)`: present, with one of these values.
        case `in`(Set<String>)
        /// `key notin (a,b)`: absent, or with none of these values.
        case notIn(Set<String>)
        /// `key`: present, with any value.
        case exists
        /// `!key`: absent.
        case doesNotExist
    }

    /// The label key.
    public var key: String
    /// What its value must be.
    public var `operator`: Operator

    /// A requirement on `key`.
    public init(key: String, operator: Operator) {
        self.key = key
        self.operator = `operator`
    }

    /// Whether `labels` meet it. As in Kubernetes, `!=` and `notin` are met
    /// by a device without the label.
    public func matches(_ labels: [String: String]) -> Bool {
        let value = labels[key]
        switch self.operator {
        case .equals(let wanted): return value == wanted
        case .notEquals(let unwanted): return value != unwanted
        case .in(let values): return value.map(values.contains) ?? false
        case .notIn(let values): return value.map { !values.contains($0) } ?? true
        case .exists: return value != nil
        case .doesNotExist: return value == nil
        }
    }

    /// The requirement in selector syntax; set values are sorted.
    public var text: String {
        switch self.operator {
        case .equals(let value): "\(key)=\(value)"
        case .notEquals(let value): "\(key)!=\(value)"
        case .in(let values): "\(key) in (\(values.sorted().joined(separator: ",")))"
        case .notIn(let values): "\(key) notin (\(values.sorted().joined(separator: ",")))"
        case .exists: key
        case .doesNotExist: "!\(key)"
        }
    }
}
