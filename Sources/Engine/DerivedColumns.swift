import EventFormat

/// Fields a scan serves beside the dataset's own: the columns of a friend dataset joined by
/// (run, event), or the flag of a good-spill list. Their fields extend the dataset's schema (a
/// query is checked against the extended schema) and, per cluster and worker, a source computes
/// their values from the dataset's key columns and feeds them to the batch like any column's.
public final class DerivedColumns: Sendable {
    /// The fields, as they are appended to the dataset's schema.
    public let fields: [Field]
    let provider: DerivedProvider

    init(fields: [Field], provider: DerivedProvider) {
        self.fields = fields
        self.provider = provider
    }

    /// What a scan of `events` events reports about these columns (unmatched events, …).
    public func summary() -> [String: Any] { provider.summary() }
}

/// Computes derived columns: which of the dataset's columns it reads, and a worker per thread.
protocol DerivedProvider: AnyObject, Sendable {
    /// The dataset's columns (indices in its schema) the values are computed from.
    var keyColumns: [Int] { get }
    func makeWorker() -> DerivedWorker
    func summary() -> [String: Any]
}

/// One thread's state of a provider, moved from cluster to cluster.
protocol DerivedWorker: AnyObject {
    /// A new unit: cluster `cluster` of file `file`, whose first event is event `firstEvent` of the
    /// whole dataset.
    func begin(file: Int, cluster: ClusterInfo, firstEvent: Int) throws(EVCError)
    /// The values of the provider's field `k` for the batch `view` is at (events × elements per
    /// event), reading key columns through `view`; valid until the next batch.
    func values(field k: Int, view: BatchView) throws(EVCError) -> UnsafeRawPointer
}

/// The dataset's schema extended by derived fields, with where each derived column comes from.
struct ExtendedSchema: Sendable {
    let base: Schema
    let schema: Schema
    /// For each column of `schema` past the base's: (provider index, field index in it).
    let derived: [(provider: Int, field: Int)]

    init(base: Schema, derived: [DerivedColumns]) throws(EVCError) {
        self.base = base
        var fields = base.fields
        var map: [(Int, Int)] = []
        for (p, d) in derived.enumerated() {
            for (k, f) in d.fields.enumerated() {
                guard f.elementsPerEvent != nil else {
                    throw EVCError(.badArgument, "derived field '\(f.name)' is a list; only scalars and arrays can be derived")
                }
                fields.append(f)
                map.append((p, k))
            }
        }
        self.schema = derived.isEmpty ? base : try Schema(fields)
        self.derived = map
    }
}

/// A derived column of one unit: values asked of the worker, for the view's batch.
final class DerivedSource: ColumnSource {
    let worker: DerivedWorker
    let field: Int
    let name: String
    /// Set once the batch view exists (it holds this source).
    unowned(unsafe) var view: BatchView!

    init(worker: DerivedWorker, field: Int, name: String) {
        self.worker = worker
        self.field = field
        self.name = name
    }

    func values(_ range: Range<Int>) throws(EVCError) -> UnsafeRawPointer { try worker.values(field: field, view: view) }
    func statistics(_ range: Range<Int>) -> (Statistics, validUntil: Int)? { nil }
    var listValueCount: Int { 0 }
    func corrupt(_ message: String) -> EVCError { EVCError(.corrupt, message, place: "column \(name)") }
}
