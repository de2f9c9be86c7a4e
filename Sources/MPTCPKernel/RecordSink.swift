#if canImport(Glibc)
import Glibc
#endif

/// Receives the records a shim call hands to its C callback, one at a time.
///
/// The shim's callbacks are C function pointers with a `void *` context. Pass
/// `{ RecordSink.forward($0, $1) }` as the callback and the context `run` gives: the
/// record type is inferred from the callback's signature, and `forward` checks that the
/// context really is a sink of that type before using it (a mismatch fails the call with
/// -EINVAL instead of reading the wrong memory).
final class RecordSink<Record> {
    private let receive: (Record) -> Int32

    private init(_ receive: @escaping (Record) -> Int32) { self.receive = receive }

    /// The body of the C callback.
    static func forward(_ record: UnsafePointer<Record>?, _ context: UnsafeMutableRawPointer?) -> Int32 {
        guard let record, let context,
              let sink = Unmanaged<AnyObject>.fromOpaque(context).takeUnretainedValue() as? RecordSink<Record>
        else { return -EINVAL }
        return sink.receive(record.pointee)
    }

    /// Runs `call` with the context to pass to the shim; each record goes to `receive`,
    /// whose return value goes back to the shim (negative: fail the call).
    static func run(_ receive: (Record) -> Int32, _ call: (UnsafeMutableRawPointer) -> Int32) -> Int32 {
        // The sink lives only for the call, so `receive` does not really escape.
        withoutActuallyEscaping(receive) { receive in
            let sink = RecordSink(receive)
            return withExtendedLifetime(sink) { call(Unmanaged.passUnretained(sink).toOpaque()) }
        }
    }
}
