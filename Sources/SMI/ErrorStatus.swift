/// The error-status of a response PDU (RFC 3416 section 3), with the names RFC 3416
/// gives them; the raw values are those of net-snmp's SNMP_ERR_* constants.
public enum ErrorStatus: Int, Error, Sendable, CaseIterable, CustomStringConvertible {
    case noError = 0, tooBig, noSuchName, badValue, readOnly, genErr, noAccess, wrongType, wrongLength,
        wrongEncoding, wrongValue, noCreation, inconsistentValue, resourceUnavailable, commitFailed,
        undoFailed, authorizationError, notWritable, inconsistentName

    public var description: String {
        switch self {
        case .noError: return "noError"
        case .tooBig: return "tooBig"
        case .noSuchName: return "noSuchName"
        case .badValue: return "badValue"
        case .readOnly: return "readOnly"
        case .genErr: return "genErr"
        case .noAccess: return "noAccess"
        case .wrongType: return "wrongType"
        case .wrongLength: return "wrongLength"
        case .wrongEncoding: return "wrongEncoding"
        case .wrongValue: return "wrongValue"
        case .noCreation: return "noCreation"
        case .inconsistentValue: return "inconsistentValue"
        case .resourceUnavailable: return "resourceUnavailable"
        case .commitFailed: return "commitFailed"
        case .undoFailed: return "undoFailed"
        case .authorizationError: return "authorizationError"
        case .notWritable: return "notWritable"
        case .inconsistentName: return "inconsistentName"
        }
    }
}
