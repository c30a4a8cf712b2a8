/// Personal data from a registry export (ID numbers, phones, e-mail, postal addresses,
/// names of contact persons) that must never reach logs, errors or default reports.
///
/// Printing, interpolating or dumping the wrapper shows `‹redacted›`; the value is reached
/// only through `revealed`, so every place that uses it is easy to find and review.
public struct Personal<Value: Hashable & Sendable>: Hashable, Sendable, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    private let value: Value

    public init(_ value: Value) {
        self.value = value
    }

    /// The personal value itself. Use it only to match, hash or export on explicit request.
    public var revealed: Value { value }

    public var description: String { "‹redacted›" }
    public var debugDescription: String { "‹redacted›" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}
