/// Which optional fields of a compactly held row are there, one bit each.
///
/// An optional integer takes its value's size plus a byte, rounded up to its alignment (a
/// `UInt64?` is 16 bytes). Rows held by the hundred thousand (`Subflow`, `Connection`)
/// store each optional field as a plain value and its presence here, and read it back as
/// an optional. A field set to nil is also zeroed, so that equal rows compare and hash equal.
struct Presence: Hashable, Sendable {
    private var bits: UInt32 = 0

    /// `value`, if the field numbered `field` is there.
    func read<T, Field: RawRepresentable>(_ value: T, _ field: Field) -> T? where Field.RawValue == UInt32 {
        bits & 1 << field.rawValue != 0 ? value : nil
    }

    /// Stores `new` in `value` and marks the field as there, or zeroes it and marks it absent.
    mutating func write<T: FixedWidthInteger, Field: RawRepresentable>(_ new: T?, to value: inout T, _ field: Field)
    where Field.RawValue == UInt32 {
        value = new ?? 0
        bits = new == nil ? bits & ~(1 << field.rawValue) : bits | 1 << field.rawValue
    }
}
