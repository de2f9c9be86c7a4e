/// RowStatus (RFC 2579, SNMPv2-TC): the states a conceptual row reports and the actions a
/// manager sets.
public enum RowStatus: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case active = 1, notInService, notReady, createAndGo, createAndWait, destroy

    public var description: String {
        switch self {
        case .active: return "active"
        case .notInService: return "notInService"
        case .notReady: return "notReady"
        case .createAndGo: return "createAndGo"
        case .createAndWait: return "createAndWait"
        case .destroy: return "destroy"
        }
    }

    /// RFC 2579's state table as one function. `state` is the row's status before the
    /// request (nil: the row does not exist, state A); `action` is what the request sets
    /// the status column to (nil: it sets only other columns). `complete` says whether the
    /// row, with this request's columns applied, has everything it needs to be active;
    /// `canDeactivate` whether an active row can be taken out of service. Returns the
    /// status after the request (nil: no row), or the error the request gets.
    ///
    ///                      A: no row     B: notReady    C: notInService  D: active
    ///     createAndGo      ->D or incV   incV           incV             incV
    ///     createAndWait    ->B/C (1)     incV           incV             incV
    ///     active           incV          ->D (2) / incV ->D (8) / incV   ->D
    ///     notInService     incV          ->C (3) / incV ->C              ->C (6) / incV
    ///     destroy          ->A           ->A            ->A              ->A
    ///     other columns    incName (4)   ->B/C (1)      ->C / ->B (1)    ->D (5)
    ///     notReady         wrongValue    wrongValue     wrongValue       wrongValue
    ///
    /// (1) notInService when complete, else notReady; (2), (3), (8) only when complete;
    /// (4) this agent creates rows with the status column only; (5) the caller decides
    /// which columns may change in an active row; (6) only if `canDeactivate`.
    public static func transition(from state: RowStatus?, set action: RowStatus?, complete: Bool,
                                  canDeactivate: Bool) -> Result<RowStatus?, ErrorStatus> {
        let waiting: RowStatus = complete ? .notInService : .notReady
        switch (action, state) {
        case (.notReady?, _):
            return .failure(.wrongValue)
        case (.destroy?, _):
            return .success(nil)
        case (.createAndGo?, nil):
            return complete ? .success(.active) : .failure(.inconsistentValue)
        case (.createAndWait?, nil):
            return .success(waiting)
        case (.createAndGo?, _?), (.createAndWait?, _?):
            return .failure(.inconsistentValue)
        case (.active?, nil), (.notInService?, nil):
            return .failure(.inconsistentValue)
        case (.active?, .active?):
            return .success(.active)
        case (.active?, _?):
            return complete ? .success(.active) : .failure(.inconsistentValue)
        case (.notInService?, .active?):
            return canDeactivate ? .success(.notInService) : .failure(.inconsistentValue)
        case (.notInService?, _?):
            return complete ? .success(.notInService) : .failure(.inconsistentValue)
        case (nil, nil):
            return .failure(.inconsistentName)
        case (nil, .active?):
            return .success(.active)
        case (nil, _?):
            return .success(waiting)
        }
    }
}
